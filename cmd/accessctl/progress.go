package main

import (
	"io"
	"os"

	"golang.org/x/term"
)

// progressModes are --progress's values.
var progressModes = []string{"auto", "always", "never"}

// progress is the one line on stderr that says what a long live operation
// is doing (reading a kind, rendering), overwritten in place and erased
// when done, so that nothing of it stays in the terminal or mixes with the
// output. With auto it is shown only when stderr is a terminal: piped or
// redirected, stderr gets nothing from it.
type progress struct {
	w io.Writer // nil: off
	// width is the terminal's, to keep the line on one row (0: unknown).
	width int
	shown bool
}

// Writing "\r", the line, then "erase to the end of the line" replaces the
// line before in place; the erase also clears what a longer line left.
const (
	carriageReturn = "\r"
	eraseLine      = "\x1b[K"
)

func newProgress(w io.Writer, mode string) *progress {
	f, isFile := w.(*os.File)
	tty := isFile && term.IsTerminal(int(f.Fd()))
	switch {
	case mode == "never", mode == "auto" && !tty:
		return &progress{}
	}
	p := &progress{w: w}
	if tty {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil {
			p.width = width
		}
	}
	return p
}

// show replaces the line with msg.
func (p *progress) show(msg string) {
	if p.w == nil {
		return
	}
	if p.width > 1 && len(msg) >= p.width {
		// A line that wraps would not be overwritten in place.
		msg = msg[:p.width-1]
	}
	p.shown = true
	// Progress is best effort: a failed write is not the command's error.
	_, _ = io.WriteString(p.w, carriageReturn+msg+eraseLine)
}

// done erases the line, leaving the cursor where the line began.
func (p *progress) done() {
	if p.w == nil || !p.shown {
		return
	}
	p.shown = false
	_, _ = io.WriteString(p.w, carriageReturn+eraseLine)
}
