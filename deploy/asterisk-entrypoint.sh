#!/bin/sh
# Renders the call center's Asterisk configuration and starts Asterisk (docker-compose.yml).
#
# config/asterisk/*.conf is mounted read-only at /etc/asterisk-templates. Every @VAR@ in
# it is replaced with the environment variable VAR (set from .env by the compose file);
# a placeholder without a value stops the container with its name, so Asterisk never
# starts with an empty or guessable secret. The result goes to /etc/asterisk (mode 0640,
# owned by the asterisk user), the voicemail folder is made writable for Asterisk and the
# backend's group, and Asterisk runs in the foreground, dropping root for the asterisk user.
set -eu

SRC=${CC_TEMPLATES:-/etc/asterisk-templates}
DST=${CC_CONFIG_DIR:-/etc/asterisk}
VOICEMAIL=${CC_VOICEMAIL_DIR:-/var/spool/asterisk/callcenter}

# A template whose first line is "; render-when: VAR" is optional: it is rendered only when
# VAR is set (pjsip_trunk.conf and TRUNK_HOST), and left out otherwise, with its own
# placeholders not required. Everything else is always rendered.
wanted() {
    condition=$(sed -n '1s/^; render-when: \([A-Z][A-Z0-9_]*\)$/\1/p' "$1")
    [ -z "$condition" ] && return 0
    eval "value=\${$condition-}"
    [ -n "$value" ]
}

templates=""
for template in "$SRC"/*.conf; do
    if wanted "$template"; then
        templates="$templates $template"
    else
        rm -f "$DST/$(basename "$template")"
    fi
done

for name in $(cat $templates | grep -o '@[A-Z][A-Z0-9_]*@' | tr -d @ | sort -u); do
    eval "value=\${$name-}"
    if [ -z "$value" ]; then
        echo "asterisk-entrypoint: $name is not set (see .env.example)" >&2
        exit 2
    fi
    case $value in
        *";"*|*" "*|*"	"*)
            # ";" starts a comment in Asterisk's files and blanks would be cut off.
            echo "asterisk-entrypoint: $name must not contain ';' or blanks" >&2
            exit 2
            ;;
    esac
done

for template in $templates; do
    target="$DST/$(basename "$template")"
    cp "$template" "$target.tmp"
    for name in $(grep -o '@[A-Z][A-Z0-9_]*@' "$template" | tr -d @ | sort -u); do
        eval "value=\${$name}"
        # Escape what sed's replacement would read specially: \ & and the | delimiter.
        escaped=$(printf '%s' "$value" | sed -e 's/[\\&|]/\\&/g')
        sed -i "s|@$name@|$escaped|g" "$target.tmp"
    done
    mv "$target.tmp" "$target"
    chmod 0640 "$target"
    chown asterisk:asterisk "$target" 2>/dev/null || true
done

mkdir -p "$VOICEMAIL"
# Group-writable and setgid for the backend's group (docker-compose.yml group_add), which
# plays the messages and deletes them after their retention.
chown "asterisk:${CC_VOICEMAIL_GID:-2323}" "$VOICEMAIL" 2>/dev/null || true
chmod 2770 "$VOICEMAIL" 2>/dev/null || true

exec "${CC_ASTERISK_BIN:-/usr/sbin/asterisk}" -f -U asterisk -G asterisk -vvv
