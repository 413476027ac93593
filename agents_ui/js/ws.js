// Strategy: a websocket that reconnects with exponential backoff and jitter (0.5 s doubling
// up to 30 s). Every (re)connection starts with a fresh snapshot from the server, so the
// page never has to replay what it missed. Close code 4401 means the session ended (logout,
// a login elsewhere, deactivation, a changed password, or never logged in): stop for good and
// report "signed_out" with the server's reason; 4403 means the role may not open this
// socket: stop trying; 4404 means the login names no configured agent: stop and report
// "not_an_agent" with the server's reason (retrying cannot help until the settings change).

const MAX_DELAY_MS = 30000;

export class LiveSocket {
  /**
   * @param {string} path e.g. "/ws/agent"
   * @param {{onMessage: function(object): void, onStatus?: function(string, string): void}} handlers
   *   onStatus receives "connecting" | "live" | "down" | "forbidden" | "signed_out" |
   *   "not_an_agent" and a human text (for the last two, the server's reason).
   */
  constructor(path, { onMessage, onStatus = () => {} }) {
    this.path = path;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.attempt = 0;
    this.socket = null;
    this.timer = null;
    this.stopped = false;
    window.addEventListener('online', () => this.reconnectNow());
  }

  start() {
    this.stopped = false;
    this.connect();
    return this;
  }

  stop() {
    this.stopped = true;
    window.clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000);
  }

  reconnectNow() {
    if (this.stopped || (this.socket && this.socket.readyState <= WebSocket.OPEN)) return;
    window.clearTimeout(this.timer);
    this.connect();
  }

  connect() {
    const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.onStatus('connecting', 'Connecting…');
    const socket = new WebSocket(`${scheme}//${window.location.host}${this.path}`);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.attempt = 0;
      this.onStatus('live', 'Live');
    });
    socket.addEventListener('message', (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.onMessage(message);
    });
    socket.addEventListener('close', (event) => this.closed(socket, event.code, event.reason));
  }

  closed(socket, code, reason = '') {
    if (socket !== this.socket || this.stopped) return;
    if (code === 4401) {
      this.stopped = true;
      this.onStatus('signed_out', reason || 'signed out');
      return;
    }
    if (code === 4403) {
      this.stopped = true;
      this.onStatus('forbidden', 'Not allowed');
      return;
    }
    if (code === 4404) {
      this.stopped = true;
      this.onStatus('not_an_agent', reason || 'no agent is configured for this login');
      return;
    }
    const base = Math.min(MAX_DELAY_MS, 500 * 2 ** this.attempt);
    const delay = base / 2 + Math.random() * (base / 2);
    this.attempt += 1;
    this.onStatus('down', `Offline, retrying in ${Math.ceil(delay / 1000)} s`);
    this.timer = window.setTimeout(() => this.connect(), delay);
  }
}
