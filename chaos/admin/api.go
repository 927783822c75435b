package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// PlanState is what api/plan answers, and PUT api/plan, api/kill and
// api/rearm too: the engine's state ([chaos.Active]) and the plan's text
// form. [Client] returns it.
type PlanState struct {
	chaos.Active
	// Text is the plan in the text form of chaos.ParsePlan.
	Text string `json:"text"`
}

func (h *Handler) planState() PlanState {
	a := h.e.Active()
	return PlanState{Active: a, Text: a.Plan.String()}
}

// errorView is the body of every error answer. Code, when set, names the
// sentinel the error matches, so that a client can tell them apart.
type errorView struct {
	Error    string          `json:"error"`
	Code     string          `json:"code,omitempty"`
	Problems []chaos.Problem `json:"problems,omitempty"`
}

// The codes of errorView, one per sentinel of package chaos.
const (
	codeInvalid  = "invalid_plan" // chaos.ErrInvalidPlan
	codeRefused  = "refused"      // chaos.ErrRefused
	codeDisabled = "disabled"     // chaos.ErrDisabled
	codeConflict = "conflict"     // chaos.ErrConflict
)

// Status is what api/status answers; [Client.Status] returns it.
// Everything but the counters, the unused rules and the runner comes from
// one read of the engine's state; the kill switch's fields marshal inline.
type Status struct {
	// Status is "disabled" while the kill switch is thrown, else "armed".
	Status string `json:"status"`
	// Armed reports that a rule may fire on this instance
	// ([chaos.Engine.Armed]): false with no plan, with the kill switch
	// thrown, or when every rule's share of instances leaves this one out.
	Armed bool `json:"armed"`
	// Instance and Seed are the engine's (see [chaos.WithInstance] and
	// [chaos.WithSeed]).
	Instance string `json:"instance"`
	Seed     uint64 `json:"seed"`
	// Source names where the active plan came from; empty for none.
	Source string `json:"source,omitempty"`
	// Generation is the engine's generation ([chaos.Active]), which
	// [Client.ApplyIf] takes.
	Generation uint64 `json:"generation"`
	chaos.KillSwitch
	// Counters counts what happened through the handler.
	Counters Counters `json:"counters"`
	// UnusedRules lists the rules of the active plan that named no
	// evaluated point lately, in plan order. It is never null, so that a
	// check can count it.
	UnusedRules []UnusedRule `json:"unused_rules"`
	// Runner is the state of what feeds the engine plans, as
	// [WithSourceStatus] gave it; nil without one.
	Runner json.RawMessage `json:"runner,omitempty"`
	// Directives counts the directives requests brought, accepted and
	// refused by reason ([chaos.Engine.DirectiveStats]); left out while
	// none came.
	Directives chaos.DirectiveStats `json:"directives,omitzero"`
}

// UnusedRule is a rule of the active plan that has named no evaluated
// point for longer than the engine's chaos.WithUnusedRuleAfter: most often
// a point name that matches nothing the service calls.
type UnusedRule struct {
	// Rule is the rule's index in the plan; Point its point pattern.
	Rule  int    `json:"rule"`
	Point string `json:"point"`
}

// unusedRules returns the rules that rules marks Unused, in plan order,
// and an empty slice, not nil, when there are none.
func unusedRules(rules []chaos.RuleStats) []UnusedRule {
	out := []UnusedRule{}
	for _, r := range rules {
		if r.Unused {
			out = append(out, UnusedRule{Rule: r.Rule, Point: r.Point})
		}
	}
	return out
}

// statsView is what api/stats answers: the engine's counters, with the
// points filtered by ?q= and cut to one page.
type statsView struct {
	chaos.Stats
	// Total counts the points that match ?q=, on every page.
	Total int `json:"total"`
	// Page is the page number, from 1; Limit the most points on a page.
	Page  int `json:"page"`
	Limit int `json:"limit"`
}

// eventView is one event as api/events answers it.
type eventView struct {
	ID     uint64        `json:"id"`
	Time   time.Time     `json:"time"`
	Point  string        `json:"point"`
	Rule   int           `json:"rule"`
	Seq    uint64        `json:"seq"`
	Kind   faults.Kind   `json:"kind"`
	Fault  string        `json:"fault"`
	Labels []chaos.Label `json:"labels,omitempty"`
	DryRun bool          `json:"dry_run,omitempty"`
	// Directive is the id of the directive whose rule fired (see
	// chaos.Engine.AcceptDirective), or "" for the plan's rules.
	Directive string `json:"directive,omitempty"`
}

// eventsView is what api/events answers.
type eventsView struct {
	Events []eventView `json:"events"`
	// Last is the id of the newest event recorded, for the next ?after=.
	Last uint64 `json:"last"`
}

func (h *Handler) serveGetPlan(w http.ResponseWriter, r *http.Request, _ auth) {
	h.writePlanState(w)
}

// writePlanState answers with the engine's state, and its generation as
// the ETag.
func (h *Handler) writePlanState(w http.ResponseWriter) {
	v := h.planState()
	w.Header().Set("ETag", etag(v.Generation))
	writeJSON(w, http.StatusOK, v)
}

// etag returns the ETag of generation gen: the number in quotes.
func etag(gen uint64) string { return `"` + strconv.FormatUint(gen, 10) + `"` }

// errBadIfMatch is matched by the error of ifMatch for a header that is
// not one generation.
var errBadIfMatch = errors.New("admin: bad If-Match")

// ifMatch reads the If-Match header of a PUT: none, or "*", asks for no
// condition (nil); one ETag "GEN" asks to apply only if the engine's
// generation is still GEN.
func ifMatch(r *http.Request) ([]chaos.ApplyOption, error) {
	v := strings.TrimSpace(strings.Join(r.Header.Values("If-Match"), ","))
	if v == "" || v == "*" {
		return nil, nil
	}
	s, ok := strings.CutPrefix(v, `"`)
	if ok {
		s, ok = strings.CutSuffix(s, `"`)
	}
	gen, err := strconv.ParseUint(s, 10, 64)
	if !ok || err != nil {
		return nil, fmt.Errorf(`%w: %q is not one generation as an ETag, as in If-Match: "42"`, errBadIfMatch, v)
	}
	return []chaos.ApplyOption{chaos.IfGeneration(gen)}, nil
}

func (h *Handler) servePutPlan(w http.ResponseWriter, r *http.Request, a auth) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		h.rejected.Add(1)
		writeBodyError(w, err, "admin: reading plan")
		return
	}
	cond, err := ifMatch(r)
	var p chaos.Plan
	if err == nil {
		p, err = decodePlan(r.Header.Get("Content-Type"), body)
	}
	if err == nil {
		err = h.e.Apply(p, append(cond, chaos.FromSource(sourceName))...)
	}
	if err != nil {
		h.reject(w, r, a, err)
		return
	}
	h.accepted(r, a)
	h.writePlanState(w)
}

// errUnsupportedType is matched by the error of decodePlan for a body
// neither JSON nor text.
var errUnsupportedType = errors.New("admin: unsupported content type")

// typeError is the error of decodePlan for a Content-Type that is neither
// JSON nor text. It says which header to send instead: curl, for one,
// sends application/x-www-form-urlencoded with --data, and a plan in text
// form does not survive form decoding ("50%error", "a+b").
type typeError struct{ contentType string }

func (e *typeError) Error() string {
	return "admin: unsupported content type " + strconv.Quote(e.contentType) +
		`: send the header "Content-Type: text/plain" with a plan in text form, or "Content-Type: application/json" with one in JSON` +
		` (with curl: -H 'Content-Type: text/plain' --data-binary @plan.txt)`
}

func (e *typeError) Is(target error) bool { return target == errUnsupportedType }

// errMalformed is wrapped by decodePlan's error for a JSON body that does
// not parse as JSON at all.
var errMalformed = errors.New("admin: malformed JSON")

// decodePlan reads a plan from a body of the given Content-Type. A JSON body
// that is not JSON at all fails with errMalformed; a plan document with
// problems fails with a *chaos.PlanError.
func decodePlan(contentType string, body []byte) (chaos.Plan, error) {
	isJSON := strings.HasPrefix(string(bytes.TrimLeft(body, " \t\r\n")), "{")
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		switch {
		case err != nil:
			return chaos.Plan{}, &typeError{contentType}
		case mt == "application/json" || strings.HasSuffix(mt, "+json"):
			isJSON = true
		case mt == "text/plain":
			return chaos.ParsePlan(string(body))
		default:
			return chaos.Plan{}, &typeError{contentType}
		}
	}
	if !isJSON {
		return chaos.ParsePlan(string(body))
	}
	if err := json.Unmarshal(body, new(json.RawMessage)); err != nil {
		return chaos.Plan{}, fmt.Errorf("%w: %w", errMalformed, err)
	}
	return chaos.ParsePlan(string(body))
}

// reject answers and records a plan that was not applied.
func (h *Handler) reject(w http.ResponseWriter, r *http.Request, a auth, err error) {
	h.rejected.Add(1)
	h.logChange(r, a, slog.LevelWarn, "faultline admin: plan rejected", "error", err)
	var pe *chaos.PlanError
	switch {
	case errors.As(err, &pe):
		code := codeInvalid
		if errors.Is(pe, chaos.ErrRefused) {
			code = codeRefused
		}
		writeJSON(w, http.StatusUnprocessableEntity, errorView{Error: pe.Err.Error(), Code: code, Problems: pe.Problems})
	case errors.Is(err, chaos.ErrDisabled):
		writeJSON(w, http.StatusConflict, errorView{Error: disabledMessage(h.e.Active()), Code: codeDisabled})
	case errors.Is(err, chaos.ErrConflict):
		act := h.e.Active()
		w.Header().Set("ETag", etag(act.Generation))
		writeJSON(w, http.StatusPreconditionFailed, errorView{
			Error: "admin: the engine changed since the generation of If-Match (it is now at " + etag(act.Generation) + "): read it again, then apply",
			Code:  codeConflict,
		})
	case errors.Is(err, errUnsupportedType):
		writeError(w, http.StatusUnsupportedMediaType, err.Error(), nil)
	default:
		writeError(w, http.StatusBadRequest, err.Error(), nil)
	}
}

// accepted records a plan that was applied.
func (h *Handler) accepted(r *http.Request, a auth) {
	h.applied.Add(1)
	act := h.e.Active()
	h.logChange(r, a, slog.LevelInfo, "faultline admin: plan applied",
		"version", act.Plan.Version, "rules", len(act.Plan.Rules), "plan", act.Plan.String(), "clamped", act.Clamped)
}

// disabledMessage says why a plan was not applied while the kill switch
// is thrown, and what to do.
func disabledMessage(a chaos.Active) string {
	msg := "admin: the kill switch is thrown"
	if a.DisabledReason != "" {
		msg += " (" + a.DisabledReason + ")"
	}
	return msg + ": re-arm first (POST api/rearm, or Re-arm on the page), then apply the plan again"
}

// who names the client of r in the kill switch's reason and in Rearm.
func (h *Handler) who(r *http.Request) string { return sourceName + ": " + h.clientName(r) }

// kill throws the kill switch and records it.
func (h *Handler) kill(r *http.Request, a auth) {
	who := h.who(r)
	if why := r.URL.Query().Get("reason"); why != "" {
		if len(why) > chaos.MaxLabelValue {
			why = why[:chaos.MaxLabelValue]
		}
		who += ": " + why
	}
	h.e.Disable(who)
	h.kills.Add(1)
	h.logChange(r, a, slog.LevelWarn, "faultline admin: kill switch thrown")
}

// rearm turns the kill switch off and records it; "was_disabled" in the
// log tells a re-arm from one that found nothing to do.
func (h *Handler) rearm(r *http.Request, a auth) {
	was := h.e.Disabled()
	h.e.Rearm(h.who(r))
	h.rearms.Add(1)
	h.logChange(r, a, slog.LevelWarn, "faultline admin: kill switch re-armed", "was_disabled", was)
}

func (h *Handler) serveKill(w http.ResponseWriter, r *http.Request, a auth) {
	h.kill(r, a)
	h.writePlanState(w)
}

func (h *Handler) serveRearm(w http.ResponseWriter, r *http.Request, a auth) {
	h.rearm(r, a)
	h.writePlanState(w)
}

func (h *Handler) serveStats(w http.ResponseWriter, r *http.Request, _ auth) {
	q, err := parsePointsQuery(r.URL.Query(), DefaultStatsLimit)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	s := h.e.Stats()
	v := statsView{Stats: s, Page: q.page, Limit: q.limit}
	v.Points, v.Total = q.apply(s.Points)
	writeJSON(w, http.StatusOK, v)
}

func (h *Handler) serveEvents(w http.ResponseWriter, r *http.Request, _ auth) {
	var after uint64
	if s := r.URL.Query().Get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "admin: after="+strconv.Quote(s)+" is not an event id", nil)
			return
		}
		after = n
	}
	v := eventsView{Events: []eventView{}}
	if h.events != nil {
		v.Events, v.Last = h.events.since(after)
	}
	writeJSON(w, http.StatusOK, v)
}

func (h *Handler) serveStatus(w http.ResponseWriter, r *http.Request, _ auth) {
	a := h.e.Active()
	v := Status{
		Status:      statusText(a),
		Armed:       h.e.Armed(),
		Instance:    h.e.Instance(),
		Seed:        h.e.Seed(),
		Source:      a.Source,
		Generation:  a.Generation,
		KillSwitch:  a.KillSwitch,
		Counters:    h.Counters(),
		UnusedRules: []UnusedRule{},
		Runner:      h.runner(),
		Directives:  h.e.DirectiveStats(),
	}
	w.Header().Set("ETag", etag(a.Generation))
	if len(a.Plan.Rules) > 0 && !a.Disabled {
		// Only then can a rule be unused: spare a plan-less engine the
		// walk over every point that Stats makes.
		v.UnusedRules = unusedRules(h.e.Stats().Rules)
	}
	writeJSON(w, http.StatusOK, v)
}

// runner returns the source status as JSON, or nil without one.
func (h *Handler) runner() json.RawMessage {
	if h.status == nil {
		return nil
	}
	b, err := json.Marshal(h.status())
	if err != nil {
		b, _ = json.Marshal(errorView{Error: "admin: encoding source status: " + err.Error()})
	}
	return b
}

// statusText is "disabled" when the kill switch is thrown, "armed"
// otherwise.
func statusText(a chaos.Active) string {
	if a.Disabled {
		return "disabled"
	}
	return "armed"
}

// writeJSON answers with v encoded as JSON.
func writeJSON(w http.ResponseWriter, code int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		code = http.StatusInternalServerError
		buf.Reset()
		json.NewEncoder(&buf).Encode(errorView{Error: "admin: encoding answer: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

// writeError answers with an error in JSON.
func writeError(w http.ResponseWriter, code int, msg string, problems []chaos.Problem) {
	writeJSON(w, code, errorView{Error: msg, Problems: problems})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
