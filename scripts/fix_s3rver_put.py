#!/usr/bin/env python3
"""Makes s3rver (the S3 test server, npm s3rver@3) answer a PUT only once the object is on disk.

s3rver 3.x resolves putObject when the request body has been read, not when its write stream has
finished: a HEAD or GET sent right after the PUT's 200 can find the file still empty (avpost's S3
store confirms every PUT with a HEAD, and its tests saw "the store reports 0 bytes" about once in a
few hundred runs on a loaded machine). Real S3 is read-after-write consistent; this makes the test
server so too. Idempotent: a patched file is left as it is. Usage: fix_s3rver_put.py S3RVER_DIR
"""
import pathlib
import sys

store = pathlib.Path(sys.argv[1]) / "lib" / "stores" / "filesystem.js"
text = store.read_text()
fixes = [
    ("""        writeStream.end(object.content);
        md5Context.update(object.content);
        resolve([object.content.length, md5Context.digest('hex')]);""",
     """        md5Context.update(object.content);
        const digest = md5Context.digest('hex');
        writeStream
          .on('error', reject)
          .on('finish', () => resolve([object.content.length, digest]));
        writeStream.end(object.content);"""),
    ("""          .on('error', reject)
          .on('finish', () => resolve([totalLength, md5Context.digest('hex')]))
          .pipe(writeStream);""",
     """          .on('error', reject)
          .pipe(writeStream)
          .on('error', reject)
          .on('finish', () => resolve([totalLength, md5Context.digest('hex')]));"""),
]
changed = False
for old, new in fixes:
    if new in text:
        continue
    if old not in text:
        sys.exit(f"{store}: not the s3rver 3.x putObject this fix knows; check the S3 test server by hand")
    text = text.replace(old, new)
    changed = True
if changed:
    store.write_text(text)
