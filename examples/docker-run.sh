#!/bin/sh
# The seed's docker run, with the scratch image of Dockerfile.alpine (docker build -f Dockerfile.alpine -t s3sync .).
# Credentials and region in the environment, the config folder and the data mounted read-only, state in a volume.
# The image's default command is `watch -c /opt/s3sync/config.yml`; logs go to stderr as JSON with --log-format json.
docker run -d --name s3sync --restart on-failure \
  -e "AWS_ACCESS_KEY_ID=AKIAI44QH8DHBEXAMPLE" \
  -e "AWS_SECRET_ACCESS_KEY=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY" \
  -e "AWS_DEFAULT_REGION=us-east-1" \
  -v "/path/to/config:/opt/s3sync:ro" \
  -v "/backup/path:/backup:ro" \
  -v s3sync-state:/var/lib/s3sync \
  s3sync watch -c /opt/s3sync/config.yml --log-format json

# Check the configuration first, or sync once and exit:
#   docker run --rm -v /path/to/config:/opt/s3sync:ro s3sync config check -c /opt/s3sync/config.yml
#   docker run --rm -e AWS_ACCESS_KEY_ID=... -e AWS_SECRET_ACCESS_KEY=... -v /backup/path:/backup:ro \
#     s3sync sync /backup s3://backup-bucket/host1 --delete
