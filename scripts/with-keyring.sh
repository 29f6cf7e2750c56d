#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring
# (the Secret Service keytar talks to), under a throwaway HOME.
# Usage: scripts/with-keyring.sh <command> [args...]
set -euo pipefail
if [ "${NCHAT_IN_KEYRING:-}" = "1" ]; then exec "$@"; fi
tmp_home=$(mktemp -d -t nchat-home-XXXXXX)
trap 'rm -rf "$tmp_home"' EXIT
export HOME="$tmp_home" XDG_DATA_HOME="$tmp_home/.local/share" XDG_RUNTIME_DIR="$tmp_home/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
export NCHAT_IN_KEYRING=1
exec dbus-run-session -- bash -c '
  eval "$(printf "%s" "nchat-test-keyring" | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)" || true
  export GNOME_KEYRING_CONTROL SSH_AUTH_SOCK
  # The daemon forks before it owns its bus name and has unlocked its login collection:
  # wait (up to 20 s) so the first test does not see "no Secret Service" or "locked".
  ready=0
  # (NameHasOwner first: a call to the name itself would have D-Bus start another daemon.)
  for _ in $(seq 1 400); do
    if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
         org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true" &&
       dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets/aliases/default \
         org.freedesktop.DBus.Properties.Get string:org.freedesktop.Secret.Collection string:Locked 2>/dev/null | grep -q "boolean false"; then
      ready=1; break
    fi
    sleep 0.05
  done
  [ "$ready" = 1 ] || echo "with-keyring: the keyring is still not unlocked after 20 s; keychain tests will say why" >&2
  "$@"
' bash "$@"
