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

// planView is what api/plan answers: the active plan and its text form.
type planView struct {
	chaos.Active
	// Text is the plan in the text form of chaos.ParsePlan.
	Text string `json:"text"`
}

func (h *Handler) planView() planView {
	a := h.e.Active()
	return planView{Active: a, Text: a.Plan.String()}
}

// errorView is the body of every error answer.
type errorView struct {
	Error    string          `json:"error"`
	Problems []chaos.Problem `json:"problems,omitempty"`
}

// statusView is what api/status answers. Everything but the counters, the
// unused rules and the runner comes from one read of the engine's state;
// the kill switch's fields marshal inline.
type statusView struct {
	Status     string `json:"status"`
	Instance   string `json:"instance"`
	Seed       uint64 `json:"seed"`
	Source     string `json:"source,omitempty"`
	Generation uint64 `json:"generation"`
	chaos.KillSwitch
	Counters Counters `json:"counters"`
	// UnusedRules is never null, so that a check can count it.
	UnusedRules []unusedRule    `json:"unused_rules"`
	Runner      json.RawMessage `json:"runner,omitempty"`
}

// unusedRule is a rule of the active plan that has named no evaluated
// point for longer than the engine's chaos.WithUnusedRuleAfter: most often
// a point name that matches nothing the service calls.
type unusedRule struct {
	// Rule is the rule's index in the plan; Point its point pattern.
	Rule  int    `json:"rule"`
	Point string `json:"point"`
}

// unusedRules returns the rules that rules marks Unused, in plan order,
// and an empty slice, not nil, when there are none.
func unusedRules(rules []chaos.RuleStats) []unusedRule {
	out := []unusedRule{}
	for _, r := range rules {
		if r.Unused {
			out = append(out, unusedRule{Rule: r.Rule, Point: r.Point})
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
}

// eventsView is what api/events answers.
type eventsView struct {
	Events []eventView `json:"events"`
	// Last is the id of the newest event recorded, for the next ?after=.
	Last uint64 `json:"last"`
}

func (h *Handler) serveGetPlan(w http.ResponseWriter, r *http.Request, _ auth) {
	writeJSON(w, http.StatusOK, h.planView())
}

func (h *Handler) servePutPlan(w http.ResponseWriter, r *http.Request, a auth) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		h.rejected.Add(1)
		writeBodyError(w, err, "admin: reading plan")
		return
	}
	p, err := decodePlan(r.Header.Get("Content-Type"), body)
	if err == nil {
		err = h.e.Apply(p, chaos.FromSource(sourceName))
	}
	if err != nil {
		h.reject(w, r, a, err)
		return
	}
	h.accepted(r, a)
	writeJSON(w, http.StatusOK, h.planView())
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
		writeError(w, http.StatusUnprocessableEntity, pe.Err.Error(), pe.Problems)
	case errors.Is(err, chaos.ErrDisabled):
		writeError(w, http.StatusConflict, disabledMessage(h.e.Active()), nil)
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
	h.e.Disable(h.who(r))
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
	writeJSON(w, http.StatusOK, h.planView())
}

func (h *Handler) serveRearm(w http.ResponseWriter, r *http.Request, a auth) {
	h.rearm(r, a)
	writeJSON(w, http.StatusOK, h.planView())
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
	v := statusView{
		Status:      statusText(a),
		Instance:    h.e.Instance(),
		Seed:        h.e.Seed(),
		Source:      a.Source,
		Generation:  a.Generation,
		KillSwitch:  a.KillSwitch,
		Counters:    h.Counters(),
		UnusedRules: []unusedRule{},
		Runner:      h.runner(),
	}
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
