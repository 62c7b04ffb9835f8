// Package event defines the normalized event that every part of Jingyun exchanges: the
// collector produces it, the WAL persists it, the loader resolves its person and the event
// stores keep it. It owns the vocabulary of event types and the reserved event names; it must
// not know about HTTP, SQL or any store.
package event

import (
	"context"
	"encoding/json"
)

// Type is the Segment message type of an event.
type Type string

// The Segment message types accepted by the collector.
const (
	TypeTrack    Type = "track"
	TypeIdentify Type = "identify"
	TypePage     Type = "page"
	TypeScreen   Type = "screen"
	TypeAlias    Type = "alias"
	TypeGroup    Type = "group"
)

// Reserved event names given to non-track messages, so that every message is an ordinary
// event in analyses (a page view funnel step is just the event "$pageview").
const (
	NamePageview = "$pageview"
	NameScreen   = "$screen"
	NameIdentify = "$identify"
	NameAlias    = "$create_alias"
	NameGroup    = "$groupidentify"
)

// Valid reports whether t is one of the accepted message types.
func (t Type) Valid() bool {
	switch t {
	case TypeTrack, TypeIdentify, TypePage, TypeScreen, TypeAlias, TypeGroup:
		return true
	}
	return false
}

// ReservedName returns the event name stored for a non-track message type, or "" for track.
func (t Type) ReservedName() string {
	switch t {
	case TypePage:
		return NamePageview
	case TypeScreen:
		return NameScreen
	case TypeIdentify:
		return NameIdentify
	case TypeAlias:
		return NameAlias
	case TypeGroup:
		return NameGroup
	}
	return ""
}

// Event is one validated, normalized message. Times are Unix milliseconds in UTC; Time is
// already corrected for client clock skew. JSON fields hold compact JSON objects (or are
// nil). An Event is a value: once handed to the WAL it must not be modified.
type Event struct {
	ProjectID uint32 `json:"p"`
	// ID is the client's messageId, or a generated UUID when the client sent none. It is
	// unique per project: the loader drops a second event with the same ID (see loader).
	ID         string `json:"id"`
	Type       Type   `json:"t"`
	Name       string `json:"e"`
	Time       int64  `json:"ts"`
	ReceivedAt int64  `json:"rt"`
	// AnonymousID and UserID are the Segment identifiers; at least one is set, except on
	// imported rows of guests, which carry a synthetic AnonymousID.
	AnonymousID string `json:"a,omitempty"`
	UserID      string `json:"u,omitempty"`
	// PreviousID is the id being merged by an alias message.
	PreviousID string `json:"pr,omitempty"`
	// GroupID is set on group messages.
	GroupID    string          `json:"g,omitempty"`
	Properties json.RawMessage `json:"pp,omitempty"`
	Context    json.RawMessage `json:"cx,omitempty"`
	// Traits are the person traits of identify (and the group traits of group). Keys are
	// set with last-write-wins; a nested object under "$set_once" is set only where the
	// person has no value yet, and a list of names under "$unset" removes traits.
	Traits json.RawMessage `json:"tr,omitempty"`
}

// DistinctID is the identifier the event is attributed to: the user id when known, the
// anonymous id otherwise.
func (e *Event) DistinctID() string {
	if e.UserID != "" {
		return e.UserID
	}
	return e.AnonymousID
}

// Sink accepts validated events for durable storage. Write returns once the events are
// durable (in the WAL, or applied to the store for direct loaders); a returned error means
// none of them may be assumed stored. Implementations are safe for concurrent use.
type Sink interface {
	Write(ctx context.Context, events []Event) error
}
