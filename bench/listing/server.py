#!/usr/bin/env python3
"""A listing-only S3 endpoint for measuring listings of a million objects without storing them.

    bench/listing/server.py PORT FILES [--no-delimiter]

Serves ListObjectsV2 (prefix, delimiter '/', start-after, continuation-token, max-keys, encoding-type=url) of a bucket
whose keys are generated, not stored: "m/dNNNNN/fNNNN" (1,000 per folder, FILES in all), every object empty (size 0,
the empty MD5 as ETag), as bench/memory makes them on the local side. ListMultipartUploads answers none, HEAD of a
bucket answers 200; anything else is 501 and logged. --no-delimiter answers a listing with a delimiter with 501,
so that a client that lists by folder falls back to one continuation chain (the comparison). Signatures are not
checked. Prints "port N" when it listens; stops when its standard input closes.
"""
import bisect, sys, threading, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, FILES = int(sys.argv[1]), int(sys.argv[2])
NO_DELIMITER = "--no-delimiter" in sys.argv
EMPTY = '"d41d8cd98f00b204e9800998ecf8427e"'
MODIFIED = "2026-12-01T00:00:00.000Z"


class Keys:
    """The sorted keys, computed from their index (fixed-width names sort as their index)."""
    def __len__(self): return FILES
    def __getitem__(self, i): return "m/d%05d/f%04d" % (i // 1000, i % 1000)


KEYS = Keys()


def page(prefix, delimiter, after, most, skip):
    """Up to `most` entries after `after` under `prefix`: (objects, common prefixes, last entry or None if done).
    `skip`: `after` is a common prefix returned before, so every key under it is past."""
    i = (bisect.bisect_left(KEYS, after + "\uffff") if skip else bisect.bisect_right(KEYS, after)) if after else 0
    i = max(i, bisect.bisect_left(KEYS, prefix))
    objects, prefixes, last = [], [], None
    while i < FILES and len(objects) + len(prefixes) < most:
        k = KEYS[i]
        if not k.startswith(prefix): break
        rest = k[len(prefix):]
        cut = rest.find(delimiter) if delimiter else -1
        if cut >= 0:
            p = prefix + rest[:cut + 1]
            prefixes.append(p); last = p
            i = bisect.bisect_left(KEYS, p + "\uffff")   # past every key under p
        else:
            objects.append(k); last = k; i += 1
    more = i < FILES and KEYS[i].startswith(prefix)
    return objects, prefixes, (last if more else None)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args): pass

    def send(self, code, body=b"", ctype="application/xml"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(body)

    def do_HEAD(self): self.send(200)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        if "uploads" in q:
            return self.send(200, b'<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>')
        if q.get("list-type") != "2":
            sys.stderr.write("listing server: not served: %s %s\n" % (self.command, self.path))
            return self.send(501, b"<Error><Code>NotImplemented</Code></Error>")
        prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
        if delimiter and NO_DELIMITER:
            return self.send(501, b"<Error><Code>NotImplemented</Code><Message>no delimiter here</Message></Error>")
        token = q.get("continuation-token")
        after = token or q.get("start-after") or ""
        most = min(int(q.get("max-keys", "1000")), 1000)
        objects, prefixes, last = page(prefix, delimiter, after, most, bool(token and delimiter and token.endswith(delimiter)))
        enc = q.get("encoding-type") == "url"
        e = (lambda s: urllib.parse.quote(s, safe="/")) if enc else (lambda s: s.replace("&", "&amp;").replace("<", "&lt;"))
        out = ['<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
               "<Name>bench</Name><Prefix>%s</Prefix><MaxKeys>%d</MaxKeys><KeyCount>%d</KeyCount>" % (e(prefix), most, len(objects) + len(prefixes))]
        if delimiter: out.append("<Delimiter>%s</Delimiter>" % e(delimiter))
        if enc: out.append("<EncodingType>url</EncodingType>")
        out.append("<IsTruncated>%s</IsTruncated>" % ("true" if last else "false"))
        if last: out.append("<NextContinuationToken>%s</NextContinuationToken>" % last.replace("&", "&amp;").replace("<", "&lt;"))
        for k in objects:
            out.append("<Contents><Key>%s</Key><LastModified>%s</LastModified><ETag>%s</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>" % (e(k), MODIFIED, EMPTY.replace('"', "&quot;")))
        for p in prefixes:
            out.append("<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>" % e(p))
        out.append("</ListBucketResult>")
        self.send(200, "".join(out).encode())


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


server = Server(("127.0.0.1", PORT), Handler)
print("port %d" % server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()
