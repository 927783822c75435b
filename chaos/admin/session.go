package admin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"sync"
	"time"
)

// sessionTTL is how long a browser session lasts.
const sessionTTL = 8 * time.Hour

// maxSessions bounds the sessions one handler keeps: a login beyond it ends
// the session closest to its expiry.
const maxSessions = 1024

// cookieName names the session cookie.
const cookieName = "faultline_admin"

// Session cookies are base64url(expiry[8] nonce[16] mac[32]), the MAC being
// HMAC-SHA256 over the first 24 bytes under the handler's key. The MAC
// refuses a forged cookie without a lookup; the table of live sessions is
// what lets logout end a session before it expires.
const (
	nonceLen   = 16
	payloadLen = 8 + nonceLen
	sessionLen = payloadLen + sha256.Size
)

// sessions holds the nonces of the live sessions, with their expiry (Unix
// seconds). It is safe for concurrent use.
type sessions struct {
	mu   sync.Mutex
	max  int
	live map[[nonceLen]byte]int64
}

func newSessions(max int) *sessions {
	return &sessions{max: max, live: make(map[[nonceLen]byte]int64)}
}

// add records a session, first dropping the expired ones and, when the
// table is still full, the one that expires first.
func (s *sessions) add(nonce [nonceLen]byte, exp int64, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.live) >= s.max {
		var first [nonceLen]byte
		firstExp := int64(-1)
		for n, e := range s.live {
			switch {
			case now.Unix() >= e:
				delete(s.live, n)
			case firstExp < 0 || e < firstExp:
				first, firstExp = n, e
			}
		}
		if len(s.live) >= s.max {
			delete(s.live, first)
		}
	}
	s.live[nonce] = exp
}

// has reports whether the session of nonce is live.
func (s *sessions) has(nonce [nonceLen]byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.live[nonce]
	return ok
}

// end ends the session of nonce.
func (s *sessions) end(nonce [nonceLen]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.live, nonce)
}

// len returns the number of sessions held, expired ones included.
func (s *sessions) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.live)
}

// newSession starts a session valid until now+sessionTTL and returns its
// cookie value.
func (h *Handler) newSession(now time.Time) string {
	var b [sessionLen]byte
	exp := now.Add(sessionTTL).Unix()
	binary.BigEndian.PutUint64(b[:8], uint64(exp))
	rand.Read(b[8:payloadLen])
	m := hmac.New(sha256.New, h.key[:])
	m.Write(b[:payloadLen])
	m.Sum(b[:payloadLen])
	h.live.add([nonceLen]byte(b[8:payloadLen]), exp, now)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// checkSession returns the nonce of a session cookie value that this
// handler signed, that has not expired at now, and that has not ended
// (by logout, or to make room).
func (h *Handler) checkSession(v string, now time.Time) (nonce [nonceLen]byte, ok bool) {
	if base64.RawURLEncoding.DecodedLen(len(v)) != sessionLen {
		return nonce, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(v)
	if err != nil || len(b) != sessionLen {
		return nonce, false
	}
	m := hmac.New(sha256.New, h.key[:])
	m.Write(b[:payloadLen])
	if !hmac.Equal(m.Sum(nil), b[payloadLen:]) {
		return nonce, false
	}
	if exp := int64(binary.BigEndian.Uint64(b[:8])); now.Unix() >= exp {
		return nonce, false
	}
	nonce = [nonceLen]byte(b[8:payloadLen])
	return nonce, h.live.has(nonce)
}
