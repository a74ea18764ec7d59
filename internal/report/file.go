package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Marshal returns r as indented JSON, with a final newline.
func Marshal(r *Report) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Unmarshal parses a report from JSON and checks its schema version.
func Unmarshal(data []byte) (*Report, error) {
	var r Report
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("not a beatbench JSON report: %w", err)
	}
	if r.Schema != Schema {
		return nil, fmt.Errorf("report schema %d, this beatbench reads schema %d", r.Schema, Schema)
	}
	return &r, nil
}

// WriteFile writes r as JSON to path, through a temporary file in the same
// directory renamed into place, so a reader never sees half a report.
func WriteFile(path string, r *Report) error {
	b, err := Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding the JSON report: %w", err)
	}
	if err := WriteAtomic(path, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return fmt.Errorf("writing the JSON report: %w", err)
	}
	return nil
}

// WriteAtomic writes what write writes to path, through a temporary file
// in the same directory renamed into place: a reader sees the old file or
// the whole new one, and a failed write leaves no file behind.
func WriteAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	err = f.Chmod(0o644)
	if err == nil {
		err = write(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	return nil
}

// ReadFile reads the JSON report at path.
func ReadFile(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}
