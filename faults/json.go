package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// faultJSON is the JSON shape of a Fault: durations as Go duration strings.
type faultJSON struct {
	Kind    Kind    `json:"kind"`
	Delay   string  `json:"delay,omitempty"`
	Jitter  string  `json:"jitter,omitempty"`
	Message string  `json:"message,omitempty"`
	Code    int     `json:"code,omitempty"`
	Body    string  `json:"body,omitempty"`
	Dist    Dist    `json:"dist,omitempty"`
	Shape   float64 `json:"shape,omitempty"`
	Max     string  `json:"max,omitempty"`
	Name    string  `json:"name,omitempty"`
}

// MarshalJSON encodes f as an object such as
// {"kind":"latency","delay":"200ms"} or
// {"kind":"latency","delay":"100ms","dist":"lognormal","shape":0.5,"max":"2s"};
// fields its kind does not use are left out.
func (f Fault) MarshalJSON() ([]byte, error) {
	j := faultJSON{Kind: f.Kind, Message: f.Message, Code: f.Code, Body: f.Body, Dist: f.Dist, Shape: f.Shape, Name: f.Name}
	if f.Max != 0 {
		j.Max = f.Max.String()
	}
	if f.Delay != 0 {
		j.Delay = f.Delay.String()
	}
	if f.Jitter != 0 {
		j.Jitter = f.Jitter.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes the object [Fault.MarshalJSON] writes, or a string
// in the text form of [ParseFault]. Unknown fields are an error. It does
// not validate: call [Fault.Validate].
func (f *Fault) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		return f.UnmarshalText([]byte(s))
	}
	var j faultJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	v := Fault{Kind: j.Kind, Message: j.Message, Code: j.Code, Body: j.Body, Dist: j.Dist, Shape: j.Shape, Name: j.Name}
	var err error
	if j.Delay != "" {
		if v.Delay, err = time.ParseDuration(j.Delay); err != nil {
			return fmt.Errorf("delay: %q is not a duration", j.Delay)
		}
	}
	if j.Jitter != "" {
		if v.Jitter, err = time.ParseDuration(j.Jitter); err != nil {
			return fmt.Errorf("jitter: %q is not a duration", j.Jitter)
		}
	}
	if j.Max != "" {
		if v.Max, err = time.ParseDuration(j.Max); err != nil {
			return fmt.Errorf("max: %q is not a duration", j.Max)
		}
	}
	*f = v
	return nil
}
