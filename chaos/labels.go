package chaos

import (
	"context"
	"strings"
)

// Label is a key and value that travels with a call. Rules match labels
// (Rule.Labels) and decide sticky rules on one (Rule.Sticky).
type Label struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type labelsKey struct{}

// WithLabels returns a context that carries the labels kv (key, value,
// key, value, …) on top of those ctx already carries; a later value for a
// key hides an earlier one. An odd final key gets the empty value.
func WithLabels(ctx context.Context, kv ...string) context.Context {
	if len(kv) == 0 {
		return ctx
	}
	old := LabelsFrom(ctx)
	labels := make([]Label, len(old), len(old)+(len(kv)+1)/2)
	copy(labels, old)
	for i := 0; i < len(kv); i += 2 {
		l := Label{Key: kv[i]}
		if i+1 < len(kv) {
			l.Value = kv[i+1]
		}
		labels = append(labels, l)
	}
	return context.WithValue(ctx, labelsKey{}, labels)
}

// LabelsFrom returns the labels ctx carries, oldest first. The caller must
// not modify the result.
func LabelsFrom(ctx context.Context) []Label {
	if ctx == nil {
		return nil
	}
	l, _ := ctx.Value(labelsKey{}).([]Label)
	return l
}

// lookup finds key in extra, then in the context's labels, newest first.
func lookup(ctx context.Context, extra []Label, key string) (string, bool) {
	for i := len(extra) - 1; i >= 0; i-- {
		if extra[i].Key == key {
			return extra[i].Value, true
		}
	}
	ls := LabelsFrom(ctx)
	for i := len(ls) - 1; i >= 0; i-- {
		if ls[i].Key == key {
			return ls[i].Value, true
		}
	}
	return "", false
}

// matchLabels reports whether every label in want is carried with its value.
func matchLabels(ctx context.Context, extra, want []Label) bool {
	for _, w := range want {
		if v, ok := lookup(ctx, extra, w.Key); !ok || v != w.Value {
			return false
		}
	}
	return true
}

// MaxLabelValue is the longest label value, in bytes, that the engine keeps
// or reports: an [Event] carries at most the first MaxLabelValue bytes of
// each value, copied, so that a huge value from a request header is not
// kept alive by an events ring or an observer. Rules still match and
// decide on the whole value.
const MaxLabelValue = 256

// MaxEventLabels is the most labels an [Event] carries; the newest are kept.
const MaxEventLabels = 32

// allLabels returns ctx's labels followed by extra, bounded for keeping:
// at most MaxEventLabels of them, the newest, with values cut at
// MaxLabelValue bytes. It copies only when something is cut or extra is
// added.
func allLabels(ctx context.Context, extra []Label) []Label {
	ls := LabelsFrom(ctx)
	if len(extra) == 0 && len(ls) <= MaxEventLabels && !anyLong(ls) {
		return ls
	}
	out := make([]Label, 0, min(len(ls)+len(extra), MaxEventLabels))
	out = append(append(out, ls...), extra...)
	if n := len(out); n > MaxEventLabels {
		out = out[n-MaxEventLabels:]
	}
	for i, l := range out {
		out[i] = Label{Key: cut(l.Key), Value: cut(l.Value)}
	}
	return out
}

// anyLong reports whether a key or value of ls is longer than MaxLabelValue.
func anyLong(ls []Label) bool {
	for _, l := range ls {
		if len(l.Key) > MaxLabelValue || len(l.Value) > MaxLabelValue {
			return true
		}
	}
	return false
}

// cut returns s, or a copy of its first MaxLabelValue bytes when it is
// longer, so that the result does not keep s's memory alive.
func cut(s string) string {
	if len(s) <= MaxLabelValue {
		return s
	}
	return strings.Clone(s[:MaxLabelValue])
}
