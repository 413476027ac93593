#!/bin/sh
# Fills the sound volumes once (docker-compose.yml service `sounds`): Asterisk's core
# English prompts (the IVR's queue-*, vm-*, digits) and the opsound music on hold, in
# ulaw. Later starts find them and do nothing. The product's own prompts (custom/..., the
# German ones) are made afterwards by the service `prompts`, which keeps what is here.
set -eu

BASE=${CC_SOUNDS_URL:-https://downloads.asterisk.org/pub/telephony/sounds}
SOUNDS=/var/lib/asterisk/sounds
MOH=/var/lib/asterisk/moh

if [ ! -e "$SOUNDS/en/queue-thereare.ulaw" ]; then
    mkdir -p "$SOUNDS/en"
    curl -fsSL "$BASE/asterisk-core-sounds-en-ulaw-current.tar.gz" | tar -xz -C "$SOUNDS/en"
fi
if [ -z "$(ls -A "$MOH" 2>/dev/null)" ]; then
    mkdir -p "$MOH"
    curl -fsSL "$BASE/asterisk-moh-opsound-ulaw-current.tar.gz" | tar -xz -C "$MOH"
fi
chown -R asterisk:asterisk "$SOUNDS" "$MOH" 2>/dev/null || true
echo "sounds ready: $(find "$SOUNDS" "$MOH" -type f | wc -l) files"
