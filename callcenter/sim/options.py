"""Tunable behaviour of the simulated PBX: `SimOptions`.

Strategy: a frozen dataclass of plain values, built once per simulator and read by the PBX's
registry (`pbx`) and by the FastAGI media (`agi_media`). It lives apart from `pbx` so the
media can read it without importing the registry, which imports the calls that run the
media (no import cycle).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SimOptions:
    """Tunable behaviour of the simulated PBX (times are simulated seconds).

    `prompt_s`: how long a prompt plays; `missing_sounds`: the sounds this Asterisk does not
    have, by name (`no-such-file-xyz`) or by folder, written with its `/` (`custom/`: a
    stock Asterisk without the company's prompts); a missing sound answers as Asterisk does
    (`sound_exists`); `spool_dirs`: the folders that exist on this Asterisk's disk for
    RECORD FILE, which makes none (the deployment's voicemail folder, made by
    deploy/asterisk-entrypoint.sh): a recording anywhere else answers `200 result=-1
    (writefile)` (`folder_exists`);
    `ivr_script` / `survey_script`: FastAGI script names of the inbound and survey
    contexts (`agi://host:port/<script>`); `agi_contexts`: dialplan context -> script for
    F(...) and Redirect targets; `agi_close_timeout_s`: how long a dead channel waits for
    the FastAGI server to close; `auth_fail_delay_s`: Asterisk's pause before
    `Authentication failed`; `default_ring_timeout_s`: an Originate without Timeout;
    `originate_setup_s`: how long after `Originate successfully queued` Asterisk's dial
    thread creates the channel (a Hangup of it before then is "No such channel");
    `rtp_ports`: the size of rtp.conf's port range (None: unlimited); every live channel
    holds an even RTP port and its odd RTCP neighbour, and a channel that finds none fails
    as on Asterisk 22.10.1: a caller's INVITE is answered 488 (no channel, no event), an
    Originate's channel is hung up before it rings (cause 0, Reason 0);
    `callback_context`, `trunk`, `dial_timeout_s`: an Originate into that context runs the
    product's callback dialplan, a Dial of `PJSIP/<number>@<trunk>` with that timeout
    (`sim.outbound`); `followup_context` / `followup_script`: an Originate of
    `PJSIP/<number>@<trunk>` into that context runs that FastAGI script once the customer
    answers (`sim.trunk_originate`);
    `dialplan`: what ShowDialPlan lists, as (context, extension, ((application, data), ...))
    rows (None: the lab's dialplan, see `sim.dialplan`);
    `system_name`: asterisk.conf's `systemname`: Asterisk then makes each Uniqueid
    `<systemname>-<epoch>.<seq>` (channel_internal_api.c), which keeps the Uniqueids of
    several servers apart ("": `<epoch>.<seq>`).
    """

    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    prompt_s: float = 2.5
    missing_sounds: frozenset[str] = frozenset()
    spool_dirs: frozenset[str] = frozenset({"/var/spool/asterisk/callcenter"})
    ivr_script: str = "ivr"
    survey_script: str = "survey"
    agi_contexts: tuple[tuple[str, str], ...] = ()
    agi_close_timeout_s: float = 30.0
    auth_fail_delay_s: float = 1.0
    default_ring_timeout_s: float = 30.0
    originate_setup_s: float = 0.0
    rtp_ports: int | None = None
    callback_context: str = "callbacks"
    trunk: str = "trunk"
    dial_timeout_s: float = 60.0
    followup_context: str = "followup"
    followup_script: str = "followup"
    dialplan: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] | None = None
    system_name: str = ""

    def sound_exists(self, name: str) -> bool:
        """Whether STREAM FILE, GET DATA or Playback finds the sound `name`."""
        if name in self.missing_sounds:
            return False
        return not any(
            folder.endswith("/") and name.startswith(folder) for folder in self.missing_sounds
        )

    def folder_exists(self, file: str) -> bool:
        """Whether RECORD FILE can create `file`: its folder is one of `spool_dirs`.

        A name without a folder goes into Asterisk's sounds folder, which always exists.
        """
        folder = posixpath.dirname(file)
        if not folder:
            return True
        return posixpath.normpath(folder) in {posixpath.normpath(d) for d in self.spool_dirs}

    def script_for(self, context: str) -> str | None:
        """The FastAGI script a dialplan context runs, if it runs one."""
        table = {
            "inbound": self.ivr_script,
            "survey": self.survey_script,
            self.followup_context: self.followup_script,
        }
        table.update(self.agi_contexts)
        return table.get(context)
