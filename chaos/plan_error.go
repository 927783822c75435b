package chaos

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// This file holds how a plan's problems are kept and reported.

// maxProblems is the most problems a [PlanError] keeps, and
// maxErrorProblems the most its Error text lists.
const (
	maxProblems      = 100
	maxErrorProblems = 32
)

// Problem is one thing wrong with a plan: where it is, and what.
type Problem struct {
	// Path locates the problem, as in "rules[2].rate". Empty means the plan
	// as a whole.
	Path string `json:"path"`
	// Message says what is wrong, as in "1.5 is outside [0,1]".
	Message string `json:"message"`
}

// String returns "PATH: MESSAGE".
func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Errors callers branch on with errors.Is.
var (
	// ErrInvalidPlan is matched by the error of a plan that is malformed or
	// out of range.
	ErrInvalidPlan = errors.New("chaos: invalid plan")
	// ErrRefused is matched by the error of a plan the engine's policy does
	// not allow.
	ErrRefused = errors.New("chaos: plan refused by policy")
)

// PlanError lists the problems with a plan. It matches [ErrInvalidPlan]
// or [ErrRefused] with errors.Is.
//
// However broken the plan, the error stays small: Problems keeps the first
// 100 problems found and More counts the rest, and the text lists at most
// 32. A reader stops at the first rule past [MaxPlanRules], so a plan that
// long reports the problems of its first MaxPlanRules rules.
type PlanError struct {
	// Err is ErrInvalidPlan or ErrRefused.
	Err error
	// Problems lists the problems found, at most 100: first those with the
	// plan as a whole (Path "" or "rules"), then the others in plan order.
	Problems []Problem
	// More counts the problems found but not kept in Problems. Zero means
	// Problems lists them all.
	More int
}

// Error returns the sentinel's text followed by the first 32 problems,
// separated by "; ", and then "; and N more problems" if there are more.
func (e *PlanError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	for i, p := range e.Problems {
		if i == maxErrorProblems {
			break
		}
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	switch more := max(len(e.Problems)-maxErrorProblems, 0) + max(e.More, 0); more {
	case 0:
	case 1:
		b.WriteString("; and 1 more problem")
	default:
		fmt.Fprintf(&b, "; and %d more problems", more)
	}
	return b.String()
}

// newPlanError returns a PlanError for err listing probs: it keeps the
// first maxProblems and counts the rest in More. Problems with the plan as
// a whole should come first in probs, so that they are kept.
func newPlanError(err error, probs []Problem) *PlanError {
	var l problemList
	l.add(probs...)
	return l.err(err)
}

// problemList collects problems, keeping the first maxProblems and
// counting the rest.
type problemList struct {
	probs []Problem
	more  int
}

// add appends probs, as far as there is room.
func (l *problemList) add(probs ...Problem) {
	n := min(len(probs), maxProblems-len(l.probs))
	l.probs = append(l.probs, probs[:n]...)
	l.more += len(probs) - n
}

// addFirst puts p, a problem with the plan as a whole, before the others,
// making room for it if the list is full.
func (l *problemList) addFirst(p Problem) {
	if len(l.probs) == maxProblems {
		l.probs = l.probs[:maxProblems-1]
		l.more++
	}
	l.probs = slices.Insert(l.probs, 0, p)
}

// full reports whether the list keeps no more problems: those added now
// are only counted.
func (l *problemList) full() bool { return len(l.probs) == maxProblems }

// len returns how many problems were added, kept or not.
func (l *problemList) len() int { return len(l.probs) + l.more }

// err returns nil for an empty list, and a *PlanError matching sentinel
// otherwise.
func (l *problemList) err(sentinel error) *PlanError {
	if l.len() == 0 {
		return nil
	}
	return &PlanError{Err: sentinel, Problems: l.probs, More: l.more}
}

// Unwrap returns the sentinel.
func (e *PlanError) Unwrap() error { return e.Err }
