package chaos

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// A directive carries a few rules for one request across services: it is
// minted by someone who holds a key, travels in the request's W3C baggage
// under [DirectiveBaggageKey], and each service that allows request-scoped
// faults (see [RequestPolicy]) verifies it and applies its rules to the
// calls made for that request only.
//
// Its signed form, the token, is four fields joined by dots, each made of
// the characters a baggage value may hold without escaping:
//
//	v1.KEYID.PAYLOAD.SIGNATURE
//
// PAYLOAD is the unpadded base64url encoding of a JSON object
// {"id","iss","iat","exp","plan","pv","seed"} (times in Unix seconds, the
// plan in its text form), and SIGNATURE the unpadded base64url HMAC-SHA256,
// under the key KEYID names, of "faultline-directive.v1.KEYID.PAYLOAD".
// Keys rotate without downtime: a service accepts every key it holds,
// and an issuer signs with the newest.

// DirectiveBaggageKey is the key of the baggage member that carries a
// directive's token: the header "baggage: faultline=TOKEN".
const DirectiveBaggageKey = "faultline"

// The limits of a directive.
const (
	// MaxDirectiveSize is the longest token, in bytes, that is read; a
	// longer one is refused unread. W3C baggage allows 8192 bytes for all
	// its members together.
	MaxDirectiveSize = 4096
	// MaxDirectiveRules is the most rules a directive may carry.
	MaxDirectiveRules = 16
	// DirectiveClockSkew is how far in the future a directive's issue
	// time may be, for clocks that disagree a little.
	DirectiveClockSkew = time.Minute
)

// Directive is a signed, expiring set of rules for one request (see
// [DirectiveBaggageKey]). Sign it with a [DirectiveKey] to get its token.
type Directive struct {
	// ID names the directive in events, logs and reports, so that one
	// request's faults can be found across services. Sign draws a random
	// one when it is empty. At most 64 bytes of letters, digits, '-' and
	// '_'.
	ID string
	// Issuer says who minted it, as in "alice" or "ci"; a policy may
	// accept only some issuers (RequestPolicy.Issuers).
	Issuer string
	// Plan holds the rules, at most [MaxDirectiveRules]. Its version
	// travels too, for reports.
	Plan Plan
	// Seed, when not zero, is the seed the directive's rules decide with,
	// so that a request's run replays; zero means the engine's seed.
	Seed uint64
	// IssuedAt is when it was minted; Sign uses the current time when it
	// is zero.
	IssuedAt time.Time
	// Expires is when services stop accepting it. It must be after
	// IssuedAt, and within the receiving policy's MaxTTL of it.
	Expires time.Time
	// KeyID is the id of the key that signed it, set by VerifyDirective.
	KeyID string
}

// DirectiveKey is a key that signs and verifies directives: an id, which
// travels in the token so that several keys can be live at once, and a
// secret shared by the issuers and the services.
type DirectiveKey struct {
	// ID names the key: 1 to 32 letters, digits, '-' or '_'.
	ID string
	// Secret is the HMAC-SHA256 key, at least 32 bytes.
	Secret []byte
}

// MinDirectiveSecret is the shortest secret a [DirectiveKey] may have.
const MinDirectiveSecret = 32

// ParseDirectiveKey reads a key written as "ID:SECRET", where SECRET is
// the secret in base64url (padded or not), as a key file or an environment
// variable holds it. NewDirectiveKey writes that form.
func ParseDirectiveKey(s string) (DirectiveKey, error) {
	id, secret, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return DirectiveKey{}, errors.New(`chaos: directive key: want "ID:SECRET"`)
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(secret, "="))
	if err != nil {
		return DirectiveKey{}, fmt.Errorf("chaos: directive key %q: secret is not base64url: %w", id, err)
	}
	k := DirectiveKey{ID: id, Secret: b}
	return k, k.check()
}

// NewDirectiveKey returns a key named id with a fresh random 32-byte
// secret.
func NewDirectiveKey(id string) (DirectiveKey, error) {
	k := DirectiveKey{ID: id, Secret: make([]byte, MinDirectiveSecret)}
	_, _ = rand.Read(k.Secret) // crypto/rand.Read never fails
	return k, k.check()
}

// String returns the key in the form ParseDirectiveKey reads. It holds the
// secret: keep it out of logs.
func (k DirectiveKey) String() string {
	return k.ID + ":" + base64.RawURLEncoding.EncodeToString(k.Secret)
}

func (k DirectiveKey) check() error {
	if !validTokenPart(k.ID, 32) {
		return fmt.Errorf("chaos: directive key id %q: want 1 to 32 letters, digits, '-' or '_'", k.ID)
	}
	if len(k.Secret) < MinDirectiveSecret {
		return fmt.Errorf("chaos: directive key %q: secret of %d bytes, want at least %d", k.ID, len(k.Secret), MinDirectiveSecret)
	}
	return nil
}

// validTokenPart reports whether s is 1 to max letters, digits, '-' or
// '_'.
func validTokenPart(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenByte(s[i]) {
			return false
		}
	}
	return true
}

// tokenByte reports whether c is a letter, a digit, '-' or '_'.
func tokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// MintDirective returns the token of a directive holding plan, from now
// until ttl from now, signed with key; a shorthand for Directive.Sign.
func MintDirective(plan Plan, key DirectiveKey, ttl time.Duration) (string, error) {
	now := time.Now()
	return Directive{Plan: plan, IssuedAt: now, Expires: now.Add(ttl)}.Sign(key)
}

// directivePayload is a directive as its token's payload holds it.
type directivePayload struct {
	ID      string `json:"id"`
	Issuer  string `json:"iss,omitempty"`
	Issued  int64  `json:"iat"`
	Expires int64  `json:"exp"`
	Plan    string `json:"plan"`
	Version string `json:"pv,omitempty"`
	Seed    uint64 `json:"seed,omitempty"`
}

const directivePrefix = "faultline-directive."

// Sign returns the directive's token, signed with key. It checks the
// directive first: a valid plan of at most MaxDirectiveRules rules, an
// expiry after the issue time, an id of the allowed form (or none, and one
// is drawn) and a token within MaxDirectiveSize. Times are kept to the
// second.
func (d Directive) Sign(key DirectiveKey) (string, error) {
	if err := key.check(); err != nil {
		return "", err
	}
	if d.ID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		d.ID = hex.EncodeToString(b[:])
	}
	if d.IssuedAt.IsZero() {
		d.IssuedAt = time.Now()
	}
	// The token keeps times to the second: check them as it keeps them.
	d.IssuedAt, d.Expires = time.Unix(d.IssuedAt.Unix(), 0), time.Unix(d.Expires.Unix(), 0)
	if err := d.check(); err != nil {
		return "", err
	}
	payload, err := json.Marshal(directivePayload{
		ID: d.ID, Issuer: d.Issuer, Issued: d.IssuedAt.Unix(), Expires: d.Expires.Unix(),
		Plan: d.Plan.String(), Version: d.Plan.Version, Seed: d.Seed,
	})
	if err != nil {
		return "", fmt.Errorf("chaos: directive: %w", err)
	}
	body := "v1." + key.ID + "." + base64.RawURLEncoding.EncodeToString(payload)
	token := body + "." + base64.RawURLEncoding.EncodeToString(directiveMAC(key.Secret, body))
	if len(token) > MaxDirectiveSize {
		return "", fmt.Errorf("chaos: directive: token of %d bytes exceeds %d", len(token), MaxDirectiveSize)
	}
	return token, nil
}

// check checks what Sign and VerifyDirective both require.
func (d Directive) check() error {
	var probs []string
	if !validTokenPart(d.ID, 64) {
		probs = append(probs, fmt.Sprintf("id %q: want 1 to 64 letters, digits, '-' or '_'", d.ID))
	}
	if len(d.Plan.Rules) == 0 {
		probs = append(probs, "plan: no rules")
	}
	if n := len(d.Plan.Rules); n > MaxDirectiveRules {
		probs = append(probs, fmt.Sprintf("plan: %d rules exceed %d", n, MaxDirectiveRules))
	}
	if err := d.Plan.Validate(); err != nil {
		probs = append(probs, "plan: "+strings.TrimPrefix(err.Error(), ErrInvalidPlan.Error()+": "))
	}
	if !d.Expires.After(d.IssuedAt) {
		probs = append(probs, fmt.Sprintf("expires %s is not after issued %s", d.Expires.Format(time.RFC3339), d.IssuedAt.Format(time.RFC3339)))
	}
	if len(probs) > 0 {
		return fmt.Errorf("chaos: directive: %s", strings.Join(probs, "; "))
	}
	return nil
}

func directiveMAC(secret []byte, body string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(directivePrefix))
	m.Write([]byte(body))
	return m.Sum(nil)
}

// ErrDirectiveRefused is matched by every error VerifyDirective and
// Engine.AcceptDirective return; the error is a [*DirectiveError].
var ErrDirectiveRefused = errors.New("chaos: directive refused")

// The reasons a directive is refused, as [DirectiveError].Reason and the
// keys of [DirectiveStats].Refused hold them.
const (
	RefusedOversized  = "oversized"     // longer than MaxDirectiveSize
	RefusedMalformed  = "malformed"     // not a token, or its payload does not decode
	RefusedKey        = "unknown_key"   // signed with a key the service does not hold
	RefusedSignature  = "bad_signature" // the signature does not match: tampered, or a wrong key
	RefusedExpired    = "expired"       // past its expiry, or issued in the future
	RefusedTTL        = "ttl"           // lives longer than the policy's MaxTTL
	RefusedIssuer     = "issuer"        // an issuer the policy does not accept
	RefusedPlan       = "plan"          // its rules are invalid or the policy refuses them
	RefusedReplayed   = "replayed"      // accepted MaxUses times already
	RefusedNotAllowed = "not_allowed"   // the policy allows no request-scoped faults, or the engine holds no key
)

// DirectiveError says why a directive was refused. It matches
// [ErrDirectiveRefused].
type DirectiveError struct {
	// Reason is one of the Refused… constants.
	Reason string
	// ID is the directive's id, when the token got far enough to tell.
	ID string
	// Detail says more, for logs.
	Detail string
}

// Error returns "chaos: directive refused: REASON (id ID): DETAIL".
func (e *DirectiveError) Error() string {
	s := "chaos: directive refused: " + e.Reason
	if e.ID != "" {
		s += " (id " + e.ID + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Is matches ErrDirectiveRefused.
func (e *DirectiveError) Is(target error) bool { return target == ErrDirectiveRefused }

func refuse(reason, id, format string, args ...any) *DirectiveError {
	return &DirectiveError{Reason: reason, ID: id, Detail: fmt.Sprintf(format, args...)}
}

// VerifyDirective checks token's signature against keys (by the key id the
// token names), decodes it, and checks that it is live at now (issued no
// later than now plus DirectiveClockSkew, not expired) and valid. It does
// not apply any policy: [Engine.AcceptDirective] does, on top of this.
// Every error is a [*DirectiveError] matching [ErrDirectiveRefused]; no
// input makes it panic, and it reads at most MaxDirectiveSize bytes.
func VerifyDirective(token string, now time.Time, keys ...DirectiveKey) (Directive, error) {
	if len(token) > MaxDirectiveSize {
		return Directive{}, refuse(RefusedOversized, "", "%d bytes exceed %d", len(token), MaxDirectiveSize)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 4 || parts[0] != "v1" {
		return Directive{}, refuse(RefusedMalformed, "", `want "v1.KEYID.PAYLOAD.SIGNATURE"`)
	}
	kid := parts[1]
	var key *DirectiveKey
	for i := range keys {
		if keys[i].ID == kid {
			key = &keys[i]
			break
		}
	}
	if key == nil {
		return Directive{}, refuse(RefusedKey, "", "key id %.32q", kid)
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(parts[3])
	if err != nil || !hmac.Equal(sig, directiveMAC(key.Secret, token[:len(token)-len(parts[3])-1])) {
		return Directive{}, refuse(RefusedSignature, "", "key id %q", kid)
	}
	// Signed by a key we hold: what follows was written by an issuer, so
	// its problems are malformed directives, not attacks.
	raw, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil {
		return Directive{}, refuse(RefusedMalformed, "", "payload: %v", err)
	}
	var p directivePayload
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil || dec.More() {
		return Directive{}, refuse(RefusedMalformed, "", "payload: %v", err)
	}
	d := Directive{ID: p.ID, Issuer: p.Issuer, Seed: p.Seed, KeyID: kid,
		IssuedAt: time.Unix(p.Issued, 0), Expires: time.Unix(p.Expires, 0)}
	plan, err := ParsePlan(p.Plan)
	if err != nil {
		return Directive{}, refuse(RefusedPlan, p.ID, "%v", err)
	}
	plan.Version = p.Version
	d.Plan = plan
	if err := d.check(); err != nil {
		return Directive{}, refuse(RefusedMalformed, p.ID, "%v", err)
	}
	if !now.Before(d.Expires) || d.IssuedAt.After(now.Add(DirectiveClockSkew)) {
		return Directive{}, refuse(RefusedExpired, d.ID, "live from %s to %s, now %s",
			d.IssuedAt.UTC().Format(time.RFC3339), d.Expires.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return d, nil
}
