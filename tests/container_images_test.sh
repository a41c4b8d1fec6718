#!/usr/bin/env bash
# Builds the container images (scripts/build-images) and runs them the way a
# deployment does: the indexer image publishes its sample bundle onto a volume
# mounted at /data, both service images serve it read-only on loopback ports
# of the host network, and the client the indexer image carries answers a
# search and a get through them.
#   tests/container_images_test.sh SOURCE_DIR
# Exits 77 (skipped) where podman cannot run containers here, saying why.
set -euo pipefail
source_dir=$(cd "${1:?usage: $0 SOURCE_DIR}" && pwd)
skip_code=77
started=$SECONDS

skip() {
  echo "SKIPPED: $*"
  exit "$skip_code"
}
fail() {
  echo "FAILED: $*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || skip "podman builds and runs the images as root here, and this is uid $(id -u)"
unshare_error=$(unshare --mount --pid --fork --mount-proc true 2>&1) ||
  skip "cannot create the namespaces a container needs (unprivileged container?): $unshare_error"

work=$(mktemp -d "${TMPDIR:-/var/tmp}/healthsearch-container-test.XXXXXX")
build_log=$work/build-images.log
tag=$(cd "$source_dir" && git describe --always --dirty 2>/dev/null || echo dev)
run_id=hs-test-$$
indexer_image=localhost/healthsearch/indexer:$tag
search_image=localhost/healthsearch/search-service:$tag
content_image=localhost/healthsearch/content-service:$tag
export CONTAINERS_CONF=${CONTAINERS_CONF:-$source_dir/containers/containers.conf}

cleanup() {
  local status=$?
  if [ $status -ne 0 ] && [ $status -ne $skip_code ]; then
    for name in "$run_id-search" "$run_id-content"; do
      podman container exists "$name" 2>/dev/null || continue
      echo "--- podman logs $name" >&2
      podman logs --tail 30 "$name" >&2 || true
    done
  fi
  podman rm --force --time 0 "$run_id-indexer" "$run_id-search" "$run_id-content" \
    >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

build_images() {
  if ! "$source_dir/scripts/build-images" --tag "$tag" "$@" >>"$build_log" 2>&1; then
    tail -n 60 "$build_log" >&2
    fail "scripts/build-images $* (log above)"
  fi
}

build_images --base-only
base_image=$(tail -n 1 "$build_log")
probe_error=$(podman run --rm --network host "$base_image" true 2>&1) ||
  skip "podman cannot run a container here: $probe_error"
build_started=$SECONDS
build_images
echo "images built in $((SECONDS - build_started))s"
grep -E '^build-images: ' "$build_log" || true

for image in "$indexer_image" "$search_image" "$content_image"; do
  user=$(podman image inspect --format '{{.Config.User}}' "$image")
  [ "$user" = 10001:10001 ] || fail "$image runs as \"$user\", not 10001:10001"
  compilers=$(podman run --rm --network none --entrypoint /bin/sh "$image" -c \
    'for tool in cc c++ gcc g++ cpp clang ld as make cmake; do command -v $tool; done' || true)
  [ -z "$compilers" ] || fail "$image carries build tools: $compilers"
  podman image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$image"
done

# A free loopback port (one nothing accepted a connection on a moment ago).
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}
search_port=$(free_port)
content_port=$(free_port)
search_metrics_port=$(free_port)
content_metrics_port=$(free_port)

# The volume belongs to the images' user, as a Kubernetes fsGroup would make it.
mkdir "$work/data" && chown 10001:10001 "$work/data"
podman run --name "$run_id-indexer" --network none -v "$work/data:/data" "$indexer_image" ||
  fail "the indexer container did not publish a bundle"
[ -L "$work/data/bundle" ] && [ -f "$work/data/bundle/manifest.json" ] ||
  fail "no published bundle at /data/bundle: $(ls -l "$work/data")"

# The services run as Kubernetes runs them: read-only root filesystem and
# bundle volume, no capabilities, no privilege escalation.
run_service() {
  local name=$1 image=$2
  shift 2
  podman run --detach --name "$name" --network host --timeout 900 \
    --read-only --cap-drop all --security-opt no-new-privileges \
    -v "$work/data:/data:ro" "$image" --bundle=/data/bundle "$@" >/dev/null
}
run_service "$run_id-search" "$search_image" \
  --listen="127.0.0.1:$search_port" --metrics_listen="127.0.0.1:$search_metrics_port" \
  --ranking_config=/etc/healthsearch/ranking.json
run_service "$run_id-content" "$content_image" \
  --listen="127.0.0.1:$content_port" --metrics_listen="127.0.0.1:$content_metrics_port"

client() {
  podman run --rm --network host --entrypoint healthsearch "$indexer_image" \
    --search_address="127.0.0.1:$search_port" --content_address="127.0.0.1:$content_port" \
    --timeout=5s "$@"
}

for attempt in $(seq 30); do
  if results=$(client search psoriasis --json --page_size 3 2>"$work/client.err"); then
    break
  fi
  for name in "$run_id-search" "$run_id-content"; do
    [ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ] ||
      fail "$name exited: $(podman logs --tail 20 "$name" 2>&1)"
  done
  [ "$attempt" -lt 30 ] || fail "search-service did not answer: $(cat "$work/client.err")"
  sleep 1
done
echo "search psoriasis:"
echo "$results" | cut -c1-120
first_id=$(echo "$results" | head -n 1 | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')
[ "$first_id" = psoriasis ] || fail "search for psoriasis did not rank it first: $results"

# The thesaurus the indexer image carries was applied: lay words find the clinical term.
lay_results=$(client search "hard to swallow" --page_size 3)
grep -q 'hard to swallow -> dysphagia' <<<"$lay_results" ||
  fail "no thesaurus expansion in the results of a lay query: $lay_results"

record=$(client get "$first_id") || fail "get $first_id through content-service: $record"
echo "get $first_id:"
echo "$record" | head -n 5
grep -q 'Psoriasis' <<<"$record" || fail "the record of $first_id does not name it: $record"

# Prometheus can scrape the calls just made from the metrics port.
metrics=$(exec 3<>"/dev/tcp/127.0.0.1/$search_metrics_port" &&
  printf 'GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3 && timeout 5 cat <&3) ||
  fail "no answer on search-service's metrics port"
grep -q '^grpc_server_handled_total{.*grpc_method="Search".*} [1-9]' <<<"$metrics" ||
  fail "search-service's metrics do not count the searches: $(grep grpc_server_handled <<<"$metrics")"

for name in "$run_id-search" "$run_id-content"; do
  uid=$(podman exec "$name" id -u)
  [ "$uid" = 10001 ] || fail "$name runs as uid $uid"
done

echo "container images test passed in $((SECONDS - started))s"
