// Strategy: one vocabulary for agent and call states on every page. The API contract names
// agent states ringing / talking, the ACD core names them reserved / on_call; both are
// accepted and shown with the same words and colours.

const AGENT_ALIASES = { reserved: 'ringing', on_call: 'talking' };

/** The contract name of an agent state ("on_call" -> "talking"). */
export function agentState(state) {
  return AGENT_ALIASES[state] || state;
}

/** An AgentView with its state in contract names. */
export function normalAgent(view) {
  return { ...view, state: agentState(view.state) };
}

/** A count per agent state ({on_call: 2} -> {talking: 2}). */
export function normalCounts(byState) {
  const counts = {};
  for (const [state, n] of Object.entries(byState || {})) {
    const name = agentState(state);
    counts[name] = (counts[name] || 0) + n;
  }
  return counts;
}

const CALL_WORDS = {
  queued: 'Waiting',
  waiting: 'Waiting',
  offered: 'Ringing',
  ringing: 'Ringing',
  connected: 'Talking',
  talking: 'Talking',
};

/** What a call's state is called on screen ("offered" -> "Ringing"). */
export function callWord(state) {
  return CALL_WORDS[state] || null;
}
