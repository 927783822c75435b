package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
)

func TestMint(t *testing.T) {
	key, err := chaos.NewDirectiveKey("ops-1")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := chaos.NewDirectiveKey("ops-1")
	keyFile := writeFile(t, "key", key.String()+"\n")
	keyEnvOf := map[string]string{keyEnv: key.String(), "USER": "alice"}
	tooMany := strings.Repeat("a=error;", chaos.MaxDirectiveRules+1)
	tests := []struct {
		name       string
		env        map[string]string
		args       []string
		code       int
		wantErr    string
		wantIssuer string
		wantTTL    time.Duration
		wantSeed   uint64
	}{
		{name: "key from the environment", env: keyEnvOf, args: []string{`"GET /checkout"=delay(2s)`}, wantIssuer: "alice", wantTTL: time.Minute},
		{name: "key file, issuer, ttl, seed", args: []string{"-key-file", keyFile, "-issuer", "ci", "-ttl", "5m", "-seed", "7", "db.query=error"}, wantIssuer: "ci", wantTTL: 5 * time.Minute, wantSeed: 7},
		{name: "no user", env: map[string]string{keyEnv: key.String()}, args: []string{"a=error"}, wantIssuer: "faultline", wantTTL: time.Minute},
		{name: "no key", args: []string{"a=error"}, code: exitUsage, wantErr: "no directive key"},
		{name: "bad key", env: map[string]string{keyEnv: "ops-1:short"}, args: []string{"a=error"}, code: exitUsage, wantErr: "directive key in $FAULTLINE_DIRECTIVE_KEY"},
		{name: "negative ttl", env: keyEnvOf, args: []string{"-ttl", "-1m", "a=error"}, code: exitUsage, wantErr: "must live"},
		{name: "invalid plan", env: keyEnvOf, args: []string{"a=explode"}, code: exitInvalid, wantErr: "plan: rules[0]"},
		{name: "too many rules", env: keyEnvOf, args: []string{tooMany}, code: exitInvalid, wantErr: "plan: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now().Truncate(time.Second)
			o := runCLI(t, tt.env, "", append([]string{"mint"}, tt.args...)...)
			if o.code != tt.code || !strings.Contains(o.stderr, tt.wantErr) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", o.code, tt.code, o.stderr, tt.wantErr)
			}
			if tt.code != exitOK {
				if strings.Contains(o.stderr+o.stdout, string(key.Secret)) {
					t.Error("the output shows the key's secret")
				}
				return
			}
			tok := strings.TrimSpace(o.stdout)
			d, err := chaos.VerifyDirective(tok, time.Now(), key)
			if err != nil {
				t.Fatalf("the token does not verify: %v", err)
			}
			if _, err := chaos.VerifyDirective(tok, time.Now(), other); err == nil {
				t.Error("the token verifies with another secret")
			}
			want, _ := chaos.ParsePlan(tt.args[len(tt.args)-1])
			if !d.Plan.Equal(want) || d.Issuer != tt.wantIssuer || d.Seed != tt.wantSeed || d.KeyID != "ops-1" {
				t.Errorf("directive %+v, want plan %v by %q with seed %d", d, want, tt.wantIssuer, tt.wantSeed)
			}
			if ttl := d.Expires.Sub(d.IssuedAt); ttl != tt.wantTTL || d.IssuedAt.Before(before) {
				t.Errorf("issued %v, lives %v; want now and %v", d.IssuedAt, ttl, tt.wantTTL)
			}
			if _, err := chaos.VerifyDirective(tok, d.Expires.Add(time.Second), key); err == nil {
				t.Error("the token verifies after it expires")
			}
		})
	}
}

func TestMintJSON(t *testing.T) {
	key, err := chaos.NewDirectiveKey("ops-1")
	if err != nil {
		t.Fatal(err)
	}
	o := runCLI(t, map[string]string{keyEnv: key.String()}, "", "mint", "-json", "-id", "req-42", "-issuer", "bob", "a=error")
	var m minted
	if err := json.Unmarshal([]byte(o.stdout), &m); err != nil || o.code != exitOK {
		t.Fatalf("exit %d, %v: %s %s", o.code, err, o.stdout, o.stderr)
	}
	d, err := chaos.VerifyDirective(m.Token, time.Now(), key)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "req-42" || d.ID != "req-42" || m.Issuer != "bob" || m.KeyID != "ops-1" || !m.Expires.Equal(d.Expires) || m.Baggage != "faultline="+m.Token {
		t.Errorf("mint -json = %+v; directive %+v", m, d)
	}
	var de *chaos.DirectiveError
	if _, err := chaos.VerifyDirective(m.Token+"x", time.Now(), key); !errors.As(err, &de) {
		t.Errorf("a tampered token: %v, want a *chaos.DirectiveError", err)
	}
}

func TestKeygen(t *testing.T) {
	a := runCLI(t, nil, "", "keygen", "2026-11")
	b := runCLI(t, nil, "", "keygen", "2026-11")
	ka, err := chaos.ParseDirectiveKey(a.stdout)
	if a.code != exitOK || err != nil || ka.ID != "2026-11" || len(ka.Secret) != chaos.MinDirectiveSecret {
		t.Fatalf("keygen: exit %d, %q, %v", a.code, a.stdout, err)
	}
	if a.stdout == b.stdout {
		t.Error("two keys have the same secret")
	}
	// The key it prints is what mint signs with.
	o := runCLI(t, map[string]string{keyEnv: strings.TrimSpace(a.stdout)}, "", "mint", "a=error")
	if _, err := chaos.VerifyDirective(strings.TrimSpace(o.stdout), time.Now(), ka); err != nil {
		t.Errorf("a token minted with the new key: %v", err)
	}
	for _, args := range [][]string{{"keygen"}, {"keygen", "a b"}, {"keygen", "a", "b"}} {
		if o := runCLI(t, nil, "", args...); o.code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, o.code, exitUsage)
		}
	}
}
