// Package source feeds an engine plans from outside the program: an
// environment variable, a file, an HTTP endpoint, or a source of your own
// (and, in the subpackage openfeature, a feature-flag system).
//
// A [Source] watches one place and yields an [Update] each time the plan
// there changes. A [Runner] applies what a source yields to a
// [chaos.Engine], so every plan passes through the engine's policy; a source
// never widens it. The runner records where the active plan came from
// ([chaos.Active].Source reads "NAME@VERSION"), and keeps the last good plan
// when a source yields a bad document or the policy refuses one: the error
// is logged, counted in [Status], and nothing else changes.
//
// The sources:
//
//   - [Env] reads FAULTLINE_PLAN once at start ([ApplyEnv] does the same in
//     one call, without a Runner).
//   - [File] polls a plan file and reloads it when it changes.
//   - [HTTP] polls a URL with ETag, bearer token, timeout, size limit,
//     retries with exponential backoff, and a fail-safe that switches every
//     fault off when no good answer has come for a while.
//
// Each document may be JSON or the one-line text form; see
// [chaos.DecodePlan]. A rule may carry a TTL, after which the engine stops
// it firing without any further call.
//
// One engine holds one plan: applying a plan replaces the whole active
// plan. Run one source per engine (the admin API's changes and the kill
// switch aside), or merge several into one Source of your own.
package source
