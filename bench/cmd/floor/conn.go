package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"
)

// lightBeat is the request beatwheel's transport writes for a light beat
// (transport/testdata/beat_light.golden, namespace and names aside).
const lightBeat = "PUT /nacos/v1/ns/instance/beat?namespaceId=public&serviceName=DEFAULT_GROUP%40%40floor&clusterName=DEFAULT&ip=10.0.0.1&port=8080 HTTP/1.1\r\n" +
	"Host: %s\r\n" +
	"Client-Version: 1.4.1\r\n" +
	"Content-Type: application/x-www-form-urlencoded;charset=UTF-8\r\n" +
	"Request-Module: Naming\r\n" +
	"User-Agent: Nacos-Java-Client:v1.4.1\r\n" +
	"RequestId: 00000000-0000-0000-0000-000000000000\r\n" +
	"Content-Length: 0\r\n\r\n"

// answerTimeout bounds the wait for a write's answers.
const answerTimeout = 10 * time.Second

// maxUnanswered is how many connections in a row the server may end
// before answering anything on them before the run fails: one now and
// then is a reset a real client sends again; every one is a server that
// does not answer.
const maxUnanswered = 3

var (
	errNotHTTP   = errors.New("answer is not HTTP/1.1 with a Content-Length")
	errNoAnswers = fmt.Errorf("server ended %d connections in a row without answering", maxUnanswered)
)

// counts are what the connections did, all of them together.
type counts struct {
	beats  atomic.Uint64 // answered
	failed atomic.Uint64 // answered with a status other than 200
	conns  atomic.Uint64 // dialled
	// unanswered counts connections the server ended before answering
	// anything on them.
	unanswered atomic.Uint64
	limit      atomic.Int64 // requests a connection carries, once learned; 0 unknown
}

// conn sends its share of the beats on one connection at a time.
type conn struct {
	cfg   config
	batch []byte // perWrite requests, or a tick's share if fewer
	req   int    // bytes of one
	n     *counts
	br    *bufio.Reader
}

func newConn(cfg config, n *counts) *conn {
	req := fmt.Sprintf(lightBeat, cfg.server)
	return &conn{
		cfg:   cfg,
		batch: bytes.Repeat([]byte(req), min(cfg.perWrite, cfg.share())),
		req:   len(req),
		n:     n,
		br:    bufio.NewReaderSize(nil, 16<<10),
	}
}

// run sends until ctx is done, its share of the beats at every tick from
// start. It returns nil then, or the error that stopped it: a dial that
// failed, an answer it could not read.
func (k *conn) run(ctx context.Context, start time.Time) error {
	var d net.Dialer
	var c net.Conn
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	served := 0     // answers on c
	unanswered := 0 // connections in a row ended before an answer
	share := k.cfg.share()
	next := start
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
		case <-ctx.Done():
			return nil
		}
		for left := share; left > 0; {
			if c == nil {
				var err error
				if c, err = d.DialContext(ctx, "tcp", k.cfg.server); err != nil {
					if ctx.Err() != nil {
						return nil
					}
					return fmt.Errorf("dial %s: %w", k.cfg.server, err)
				}
				k.n.conns.Add(1)
				k.br.Reset(c)
				served = 0
			}
			n := min(left, k.cfg.perWrite)
			if lim := int(k.n.limit.Load()); lim > 0 {
				if lim <= served {
					// c carried the limit without the server ending it
					// (the limit was learned lower than c's): dial again.
					c.Close()
					c = nil
					continue
				}
				n = min(n, lim-served)
			}
			answered, ended, err := k.exchange(c, n, served)
			served += answered
			left -= answered
			switch {
			case err != nil && ctx.Err() != nil:
				return nil
			case err != nil:
				return err
			case ended && served == 0:
				k.n.unanswered.Add(1)
				if unanswered++; unanswered == maxUnanswered {
					return errNoAnswers
				}
				c.Close()
				c = nil
			case ended:
				unanswered = 0
				c.Close()
				c = nil
			}
		}
		next = next.Add(k.cfg.tick)
		if now := time.Now(); next.Before(now) {
			next = now // behind: no burst to catch up
		}
		timer.Reset(time.Until(next))
	}
}

// exchange writes n requests on c, which has carried served before, and
// reads their answers. ended says the server ended the connection: it said
// "Connection: close" (which teaches the limit), or closed or reset it.
func (k *conn) exchange(c net.Conn, n, served int) (answered int, ended bool, err error) {
	if err := c.SetDeadline(time.Now().Add(answerTimeout)); err != nil {
		return 0, true, nil
	}
	if _, err := c.Write(k.batch[:n*k.req]); err != nil {
		return 0, true, nil // the server closed first: dial again
	}
	failed := 0
	defer func() {
		k.n.beats.Add(uint64(answered))
		k.n.failed.Add(uint64(failed))
	}()
	for answered < n {
		status, closing, err := readAnswer(k.br)
		if err != nil {
			if errors.Is(err, errNotHTTP) || errors.Is(err, bufio.ErrBufferFull) || isTimeout(err) {
				return answered, true, err
			}
			return answered, true, nil // EOF or a reset: the server ended it
		}
		answered++
		if status != 200 {
			failed++
		}
		if closing {
			k.n.limit.Store(int64(served + answered))
			return answered, true, nil
		}
	}
	return answered, false, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readAnswer reads one HTTP/1.x answer from br: its status code, and
// whether it says "Connection: close". It reads only answers with a
// Content-Length, which nacostest (fasthttp) always sends.
func readAnswer(br *bufio.Reader) (status int, closing bool, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	if len(line) < 13 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[12] != ' ' && line[12] != '\r' && line[12] != '\n' {
		return 0, false, fmt.Errorf("%w: status line %q", errNotHTTP, line)
	}
	if status = digits(line[9:12]); status < 100 {
		return 0, false, fmt.Errorf("%w: status line %q", errNotHTTP, line)
	}
	length := -1
	for {
		if line, err = br.ReadSlice('\n'); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, false, fmt.Errorf("%w: header %q", errNotHTTP, line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length = digits(value); length < 0 {
				return 0, false, fmt.Errorf("%w: header %q", errNotHTTP, line)
			}
		case bytes.EqualFold(name, []byte("Connection")):
			closing = bytes.EqualFold(value, []byte("close"))
		}
	}
	if length < 0 {
		return 0, false, fmt.Errorf("%w: no Content-Length", errNotHTTP)
	}
	if _, err := br.Discard(length); err != nil {
		return 0, false, err
	}
	return status, closing, nil
}

// digits returns the decimal number b holds, or -1 if b is empty, holds
// anything but digits, or more than 9 of them.
func digits(b []byte) int {
	if len(b) == 0 || len(b) > 9 {
		return -1
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}
