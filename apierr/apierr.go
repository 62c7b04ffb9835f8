// Package apierr is the typed error every HTTP API of Jingyun answers with: a status, a
// stable machine-readable code, a safe public message and, where one is at fault, the
// field (and the index of the event in a batch). Internal causes are logged, never sent.
package apierr

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
)

// Error is an API error. Code values are part of the API contract: never rename one.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// Index is the position of the offending event in a batch, when there is one.
	Index *int `json:"index,omitempty"`
	// RetryAfter, in seconds, is sent as the Retry-After header when positive.
	RetryAfter int `json:"-"`
	// Cause is the internal error, logged but not sent.
	Cause error `json:"-"`
}

func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if e.Field != "" {
		s += " (field " + e.Field + ")"
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Cause }

// New returns an error with a status, a code and a message.
func New(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// Field returns a 400 error naming the field at fault.
func Field(code, field, message string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Field: field, Message: message}
}

// Internal wraps an unexpected failure: the client sees a generic 500.
func Internal(cause error) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error", Cause: cause}
}

// StatusClientClosed answers a request whose client went away before the answer was ready
// (nginx's 499): nobody reads it, and it is not a server failure.
const StatusClientClosed = 499

// Write sends err as a JSON error body. Any error that is not an *Error becomes a 500 whose
// cause is logged. An error caused by the request's context being cancelled (the client
// closed the connection or navigated away) is answered 499 "cancelled" and logged at debug
// level only.
func Write(w http.ResponseWriter, log *slog.Logger, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = Internal(err)
	}
	if e.Status >= 500 && errors.Is(err, context.Canceled) {
		if log != nil {
			log.Debug("request abandoned by the client", "err", err)
		}
		e = &Error{Status: StatusClientClosed, Code: "cancelled", Message: "the client closed the request", Cause: err}
	}
	if e.Status >= 500 && log != nil {
		log.Error("request failed", "code", e.Code, "err", err)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	JSON(w, e.Status, map[string]*Error{"error": e})
}

// JSON writes v with a status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
