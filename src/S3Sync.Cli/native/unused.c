/*
 * Stand-ins for native code s3sync links but never runs, so the linker leaves the real objects out of the binary.
 * Each definition here is found before the archive that holds the real one (see S3Sync.Cli.csproj), so the
 * archive member is never pulled in. If managed code ever needs another symbol of such a member, the member is
 * pulled in after all and the link fails on a duplicate symbol: loudly, never silently.
 *
 * SQLite: Debian's libsqlite3.a registers FTS3/4, FTS5, R-tree, dbstat and sqlite_stmt on every connection
 * (its built-in extension table in main.c). The hash cache is one plain table: none of them is used.
 * (An amalgamation build, as Alpine's, keeps these functions static; there these definitions are simply unused.)
 *
 * Brotli: HttpClient's response decompression keeps System.IO.Compression's BrotliStream, whose one class both
 * decodes and encodes. s3sync only ever decodes, so the encoder (the bulk of brotli) is replaced by one that
 * refuses to start: BrotliEncoder then throws "failed to create" instead of compressing.
 */
#include <stddef.h>
#include <stdint.h>

int sqlite3Fts3Init(void *db) { (void)db; return 0; }
int sqlite3Fts5Init(void *db) { (void)db; return 0; }
int sqlite3RtreeInit(void *db) { (void)db; return 0; }
int sqlite3DbstatRegister(void *db) { (void)db; return 0; }
int sqlite3StmtVtabInit(void *db) { (void)db; return 0; }

void *BrotliEncoderCreateInstance(void *alloc, void *free_func, void *opaque)
{
    (void)alloc; (void)free_func; (void)opaque;
    return NULL;
}
void BrotliEncoderDestroyInstance(void *state) { (void)state; }
int BrotliEncoderSetParameter(void *state, int param, uint32_t value)
{
    (void)state; (void)param; (void)value;
    return 0;
}
int BrotliEncoderCompressStream(void *state, int op, size_t *available_in, const uint8_t **next_in,
                                size_t *available_out, uint8_t **next_out, size_t *total_out)
{
    (void)state; (void)op; (void)available_in; (void)next_in; (void)available_out; (void)next_out; (void)total_out;
    return 0;
}
int BrotliEncoderHasMoreOutput(void *state) { (void)state; return 0; }

/*
 * SQLite's JSON functions (json.o, registered by func.o and main.o): the hash cache stores no JSON. SQL that calls a
 * json_* function would fail with "no such function" (s3sync has none).
 */
void sqlite3RegisterJsonFunctions(void) { }
int sqlite3JsonTableFunctions(void *db) { (void)db; return 0; }

/*
 * zlib: System.IO.Compression's DeflateStream both inflates and deflates. s3sync only ever inflates (HttpClient's
 * response decompression, the content-type table), so the compressor (deflate.c and its strategies) is replaced by one
 * that refuses to start: compressing then throws instead. Z_STREAM_ERROR is -2.
 */
int deflateInit2_(void *strm, int level, int method, int window_bits, int mem_level, int strategy, const char *version, int stream_size)
{
    (void)strm; (void)level; (void)method; (void)window_bits; (void)mem_level; (void)strategy; (void)version; (void)stream_size;
    return -2;
}
int deflate(void *strm, int flush) { (void)strm; (void)flush; return -2; }
int deflateEnd(void *strm) { (void)strm; return -2; }

/*
 * Brotli's decoder (and with it brotlicommon's 120 KB dictionary): no HttpClient in s3sync asks for compressed
 * responses (the SDK's and the signed path's handlers have AutomaticDecompression off, and S3 answers with the
 * stored bytes), so nothing ever decodes brotli. A decoder that cannot start makes BrotliStream throw instead.
 */
void *BrotliDecoderCreateInstance(void *alloc, void *free_func, void *opaque)
{
    (void)alloc; (void)free_func; (void)opaque;
    return NULL;
}
void BrotliDecoderDestroyInstance(void *state) { (void)state; }
int BrotliDecoderDecompress(size_t encoded_size, const uint8_t *encoded, size_t *decoded_size, uint8_t *decoded)
{
    (void)encoded_size; (void)encoded; (void)decoded_size; (void)decoded;
    return 0; /* BROTLI_DECODER_RESULT_ERROR */
}
int BrotliDecoderDecompressStream(void *state, size_t *available_in, const uint8_t **next_in, size_t *available_out, uint8_t **next_out, size_t *total_out)
{
    (void)state; (void)available_in; (void)next_in; (void)available_out; (void)next_out; (void)total_out;
    return 0; /* BROTLI_DECODER_RESULT_ERROR */
}
int BrotliDecoderIsFinished(const void *state) { (void)state; return 0; }
