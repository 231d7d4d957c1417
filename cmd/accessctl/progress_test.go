package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// progressLines are the lines a progress line showed, in order: what
// each carriage return started. The rest of the text, the lines
// removed, is what stays on the screen.
func progressLines(s string) (lines []string, rest string) {
	var keep strings.Builder
	for i, part := range strings.Split(s, carriageReturn) {
		if i == 0 {
			keep.WriteString(part)
			continue
		}
		line, after, _ := strings.Cut(part, eraseLine)
		if line != "" {
			lines = append(lines, line)
		}
		keep.WriteString(after)
	}
	return lines, keep.String()
}

func TestProgress(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, "always")
	p.show("reading Tenants (1 of 7 kinds), 0 objects")
	p.show("rendering 2 tenants from 9 objects")
	p.done()
	p.done()
	want := "\rreading Tenants (1 of 7 kinds), 0 objects\x1b[K\rrendering 2 tenants from 9 objects\x1b[K\r\x1b[K"
	if b.String() != want {
		t.Errorf("always: %q, want %q", b.String(), want)
	}
	lines, rest := progressLines(b.String())
	if len(lines) != 2 || rest != "" {
		t.Errorf("progressLines: %q, rest %q", lines, rest)
	}

	// never, and auto where stderr is not a terminal (a buffer, a file,
	// a pipe): nothing at all.
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	for name, p := range map[string]*progress{
		"never":         newProgress(&b, "never"),
		"auto, buffer":  newProgress(&b, "auto"),
		"auto, file":    newProgress(f, "auto"),
		"never, a file": newProgress(f, "never"),
	} {
		b.Reset()
		p.show("reading")
		p.done()
		if st, _ := f.Stat(); b.Len() > 0 || st.Size() > 0 {
			t.Errorf("%s wrote %q", name, b.String())
		}
	}

	// A terminal's width keeps the line on one row.
	b.Reset()
	narrow := &progress{w: &b, width: 10}
	narrow.show("reading EffectivePermissions (7 of 7 kinds)")
	if b.String() != "\rreading E\x1b[K" {
		t.Errorf("width 10: %q", b.String())
	}
}

func TestProgressFlag(t *testing.T) {
	r := accessctl(t, nil, "validate", "-f", scenarioDir("partners"), "--progress", "sometimes")
	if r.code != exitInput || !strings.Contains(r.stderr, `--progress "sometimes": want auto, always, never`) {
		t.Errorf("--progress sometimes: exit %d, %q", r.code, r.stderr)
	}
	// Offline there is nothing long to show: reading files and rendering
	// take milliseconds.
	r = accessctl(t, nil, "validate", "-f", scenarioDir("partners"), "--progress", "always")
	if r.code != exitOK || strings.Contains(r.stderr, carriageReturn) {
		t.Errorf("offline --progress always: exit %d, %q", r.code, r.stderr)
	}
}
