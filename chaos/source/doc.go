// Package source feeds an engine plans from outside the program: an
// environment variable, a file, an HTTP endpoint, or a source of your own
// (and, in the subpackage ofsource, a feature-flag system through OpenFeature).
//
// A [Source] watches one place and yields an [Update] each time the plan
// there changes. A [Runner] applies what a source yields to a
// [chaos.Engine], so every plan passes through the engine's policy; a source
// never widens it. The runner records where the active plan came from
// ([chaos.Active].Source reads "NAME@VERSION"), logs each plan it applies
// with its version and text, and keeps the last good plan when a source
// yields a bad document or the policy refuses one: the error is logged,
// counted in [RunnerStatus], and nothing else changes. [RunnerStatus] says the current
// truth: a later good update clears its error (LastErr keeps it).
//
// The sources:
//
//   - [Env] reads FAULTLINE_PLAN once at start ([ApplyEnv] does the same in
//     one call, without a Runner).
//   - [File] polls a plan file and reloads it when it changes and has held
//     still for one interval. Write it by renaming a whole file into
//     place: write a temporary file in the same directory, fsync it, and
//     rename it over the plan file (see [File]).
//   - [HTTP] polls a URL with ETag, bearer token, timeout, size limit,
//     retries with exponential backoff, same-origin redirects only, and a
//     fail-safe that switches every fault off when no good answer has come
//     for a while.
//
// Each document may be JSON or the one-line text form; see
// [chaos.DecodePlan]. No source reads a document larger than
// [chaos.MaxPlanSize]: a larger one is refused with [ErrTooLarge], and the
// last good plan stays. A rule may carry a TTL, after which the engine
// stops it firing without any further call.
//
// # The kill switch
//
// A source never undoes the engine's kill switch ([chaos.Engine.Disable]).
// While it is thrown the engine refuses every plan with
// [chaos.ErrDisabled]; the runner counts the update as held
// ([RunnerStatus].Held), logs it once per version, and waits. Neither a changed
// document nor the fail-safe and a good answer after it turn faults back
// on. Once a person re-arms the engine ([chaos.Engine.Rearm]), the runner
// applies the source's current plan within [DefaultRearmCheck] (see
// [WithRearmCheck]).
//
// # Options
//
// Every numeric option follows one rule: zero means the default, and a
// negative value turns the setting off ([WithInterval], [WithMaxBytes],
// [WithTimeout], [WithJitter], [WithStaleAfter], [WithRearmCheck]).
//
// One engine holds one plan: applying a plan replaces the whole active
// plan. Run one source per engine (the admin API's changes and the kill
// switch aside), or merge several into one Source of your own. A plan
// applied by anyone else is replaced by the source's at its next update.
package source
