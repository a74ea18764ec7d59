package main

import (
	"fmt"
	"io"

	"github.com/beatwheel/beatwheel/internal/report"
)

// printer writes beatbench's output and remembers the first write error.
type printer struct {
	w   io.Writer
	err error
}

// printf writes unless an earlier write failed.
func (p *printer) printf(format string, args ...any) {
	if p.err != nil {
		return
	}
	if _, err := fmt.Fprintf(p.w, format, args...); err != nil {
		p.err = fmt.Errorf("writing report: %w", err)
	}
}

// header says what the run does.
func (p *printer) header(cfg config) {
	target := ""
	if cfg.transport == "nacos" {
		target = " to an embedded server"
		if len(cfg.servers) > 0 {
			target = fmt.Sprintf(" to %v", cfg.servers)
		}
		target += fmt.Sprintf(" (%s)", cfg.mode)
	}
	instances := fmt.Sprint(cfg.instances)
	if cfg.shard != noShard {
		instances = fmt.Sprintf("%d of %d (shard %v)", cfg.beating(), cfg.instances, cfg.shard)
	}
	p.printf("beatbench: %s instances, period %v, transport %s%s, scheduler %s (tick %v), for %v, GOGC %d\n",
		instances, cfg.period, cfg.transport, target, cfg.scheduler, cfg.tick, cfg.duration, cfg.gogc)
}

// summary writes rep as the text summary.
func (p *printer) summary(rep *report.Report) {
	if p.err == nil {
		if err := report.WriteText(p.w, rep); err != nil {
			p.err = fmt.Errorf("writing report: %w", err)
		}
	}
}
