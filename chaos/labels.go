package chaos

import "context"

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

// allLabels returns ctx's labels followed by extra, in a new slice.
func allLabels(ctx context.Context, extra []Label) []Label {
	ls := LabelsFrom(ctx)
	if len(extra) == 0 {
		return ls
	}
	out := make([]Label, 0, len(ls)+len(extra))
	return append(append(out, ls...), extra...)
}
