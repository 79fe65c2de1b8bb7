// Every protocol limit in one place (docs/PROTOCOL.md "Limits" mirrors this file).
// Sections are owned by the module that enforces them; keep names SCREAMING_CASE with the unit.

// --- Group and membership log ---------------------------------------------
/** WeChat's group size; tested at this size. */
export const MAX_GROUP_MEMBERS = 500;

// --- Sender chains and messages --------------------------------------------

// --- Attachments -----------------------------------------------------------

// --- Relay-visible sizes (wire) ---------------------------------------------
