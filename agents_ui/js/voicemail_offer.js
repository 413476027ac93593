// Strategy: a voicemail offered on the desktop (issue 17). The ACD routes a message like a
// call, as the work item `vm-<call id>`; no phone rings, so the desktop accepts or declines
// it (POST /api/voicemail-work/{entry}/accept | decline). While the agent handles it, a link
// opens the message in the inbox (/voicemail?call=<entry>), where it is played, called back
// and closed; closing it ends the work item and wrap-up follows as after a call.

import { api, seg } from './api.js';
import { flash } from './shell.js';

const $ = (id) => document.getElementById(id);

/** Whether a call on the desktop is a voicemail's work item. */
export function isVoicemail(callId) {
  return typeof callId === 'string' && callId.startsWith('vm-');
}

/** Show the voicemail actions for the call on screen in `phase` (or hide them). */
export function showVoicemailWork(callId, phase = null, queue = null) {
  const box = $('vm-work');
  if (!box) return;
  const offered = phase === 'ringing';
  const handling = phase === 'talking';
  box.hidden = !isVoicemail(callId) || !(offered || handling);
  if (box.hidden) return;
  const where = queue ? ` for ${queue}` : '';
  $('vm-work-text').textContent = offered
    ? `A voicemail${where} is offered to you.`
    : `You are handling a voicemail${where}: play it, call back and close it in the inbox.`;
  $('vm-accept').hidden = !offered;
  $('vm-decline').hidden = !offered;
  const open = $('vm-open');
  open.hidden = !handling;
  open.href = `/voicemail?call=${encodeURIComponent(callId)}`;
  const banner = $('call-banner');
  if (offered && banner.firstChild && banner.firstChild.nodeType === Node.TEXT_NODE) {
    banner.firstChild.textContent = banner.firstChild.textContent.replace('Incoming call', 'Voicemail');
  } else if (handling && banner.firstChild && banner.firstChild.nodeType === Node.TEXT_NODE) {
    banner.firstChild.textContent = banner.firstChild.textContent.replace('On call', 'Voicemail');
  }
}

/** Wire the Accept and Decline buttons; `current` gives the call on screen. */
export function startVoicemailWork(current) {
  const act = async (button, what) => {
    const entry = current();
    if (!isVoicemail(entry)) return;
    button.disabled = true;
    try {
      await api('POST', `/api/voicemail-work/${seg(entry)}/${what}`);
    } catch (err) {
      flash(err.message, 'error');
    } finally {
      button.disabled = false;
    }
  };
  $('vm-accept').addEventListener('click', (e) => act(e.currentTarget, 'accept'));
  $('vm-decline').addEventListener('click', (e) => act(e.currentTarget, 'decline'));
}
