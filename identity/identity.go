// Package identity maps the identifiers seen on events (anonymous device ids, WeChat openid,
// the shop's user ids) to persons, and decides merges, following DESIGN §3.3. It keeps the
// whole map in memory and reports every new fact (identity, override, person created,
// traits) to its caller, which persists them with the events; it does no I/O itself.
//
// Rules, as in PostHog and Segment:
//   - An event is attributed to its user id when set, else to its anonymous id.
//   - An event carrying both an anonymous id and a user id (identify, or any event sent after
//     login) links them: the anonymous person joins the user's person, so the events from
//     before the login count for the same person. An anonymous id already linked to a
//     different user id is not merged again (a shared device); the event goes to its user.
//   - alias(previousId → userId) merges the two persons unconditionally.
//   - A merge keeps the user's person; the other becomes an override old → new. Overrides are
//     kept flat: when a survivor is merged again, every override pointing at it is rewritten.
package identity

import (
	"github.com/jingyun/jingyun/store"
	"strings"
)

type idKey struct {
	project uint32
	id      string
}

type personKey struct {
	project uint32
	person  int64
}

// Resolver is the identity map. It is not safe for concurrent use: the loader owns it.
type Resolver struct {
	ids        map[idKey]int64
	overrides  map[personKey]int64
	absorbed   map[personKey][]int64 // survivor → persons merged into it
	identified map[personKey]bool    // persons that carry a user id
	next       int64
}

// New returns an empty resolver whose next person id is maxPerson+1.
func New(maxPerson int64) *Resolver {
	return &Resolver{
		ids:        map[idKey]int64{},
		overrides:  map[personKey]int64{},
		absorbed:   map[personKey][]int64{},
		identified: map[personKey]bool{},
		next:       maxPerson + 1,
	}
}

// LoadIdentity adds a stored identity when rebuilding at start-up.
func (r *Resolver) LoadIdentity(id store.Identity) {
	r.ids[idKey{id.ProjectID, id.DistinctID}] = id.PersonID
	if id.PersonID >= r.next {
		r.next = id.PersonID + 1
	}
	if id.IsUser {
		r.identified[personKey{id.ProjectID, id.PersonID}] = true
	}
}

// LoadOverride adds a stored override when rebuilding at start-up.
func (r *Resolver) LoadOverride(o store.Override) {
	r.overrides[personKey{o.ProjectID, o.OldPersonID}] = o.NewPersonID
	nk := personKey{o.ProjectID, o.NewPersonID}
	r.absorbed[nk] = append(r.absorbed[nk], o.OldPersonID)
	if r.identified[personKey{o.ProjectID, o.OldPersonID}] {
		r.identified[nk] = true
	}
}

// Len returns the number of distinct ids known.
func (r *Resolver) Len() int { return len(r.ids) }

// Facts collects what resolution learnt, to be persisted with the batch.
type Facts struct {
	Identities []store.Identity
	Overrides  []store.Override
	Persons    []store.PersonUpdate
}

func (r *Resolver) resolve(project uint32, p int64) int64 {
	if n, ok := r.overrides[personKey{project, p}]; ok {
		return n
	}
	return p
}

// lookup returns the current person of a distinct id, or 0.
func (r *Resolver) lookup(project uint32, id string) int64 {
	if p, ok := r.ids[idKey{project, id}]; ok {
		return r.resolve(project, p)
	}
	return 0
}

// Person returns the current person of a distinct id, or 0 when unknown.
func (r *Resolver) Person(project uint32, distinctID string) int64 {
	return r.lookup(project, distinctID)
}

func (r *Resolver) assign(f *Facts, project uint32, id string, person int64, isUser bool) {
	// The map outlives the batch: keep a copy of the id, not a piece of the decoded record
	// (which would keep the whole record in memory for as long as the id is known).
	id = strings.Clone(id)
	r.ids[idKey{project, id}] = person
	f.Identities = append(f.Identities, store.Identity{ProjectID: project, DistinctID: id, PersonID: person, IsUser: isUser})
	if isUser {
		r.identified[personKey{project, person}] = true
	}
}

func (r *Resolver) create(f *Facts, project uint32, at int64) int64 {
	p := r.next
	r.next++
	f.Persons = append(f.Persons, store.PersonUpdate{ProjectID: project, PersonID: p, CreatedAt: at})
	return p
}

// merge folds person old into person survivor.
func (r *Resolver) merge(f *Facts, project uint32, old, survivor int64) {
	if old == survivor {
		return
	}
	ok := personKey{project, old}
	sk := personKey{project, survivor}
	moved := append([]int64{old}, r.absorbed[ok]...)
	delete(r.absorbed, ok)
	for _, m := range moved {
		r.overrides[personKey{project, m}] = survivor
		f.Overrides = append(f.Overrides, store.Override{ProjectID: project, OldPersonID: m, NewPersonID: survivor})
	}
	r.absorbed[sk] = append(r.absorbed[sk], moved...)
	if r.identified[ok] {
		r.identified[sk] = true
	}
	// Trait updates of this batch that named the absorbed person now belong to the survivor.
	for i := range f.Persons {
		if f.Persons[i].ProjectID == project && f.Persons[i].PersonID == old {
			f.Persons[i].PersonID = survivor
		}
	}
}

// Resolve attributes one event to a person, creating and linking as the rules say, and
// returns the person id to store on the event.
func (r *Resolver) Resolve(f *Facts, project uint32, anonymousID, userID string, at int64) int64 {
	switch {
	case userID == "" && anonymousID == "":
		return 0
	case userID == "":
		p := r.lookup(project, anonymousID)
		if p == 0 {
			p = r.create(f, project, at)
			r.assign(f, project, anonymousID, p, false)
		}
		return p
	}
	pu := r.lookup(project, userID)
	if anonymousID == "" || anonymousID == userID {
		if pu == 0 {
			pu = r.create(f, project, at)
			r.assign(f, project, userID, pu, true)
		}
		return pu
	}
	pa := r.lookup(project, anonymousID)
	switch {
	case pu == 0 && pa == 0:
		pu = r.create(f, project, at)
		r.assign(f, project, anonymousID, pu, false)
		r.assign(f, project, userID, pu, true)
	case pu == 0:
		if r.identified[personKey{project, pa}] {
			// The device already belongs to another user: a new person for this user.
			pu = r.create(f, project, at)
		} else {
			pu = pa
		}
		r.assign(f, project, userID, pu, true)
	case pa == 0:
		r.assign(f, project, anonymousID, pu, false)
	case pa != pu && !r.identified[personKey{project, pa}]:
		r.merge(f, project, pa, pu)
	}
	return pu
}

// Alias merges the person of previousID into the person of userID, creating either when
// unknown, and returns the surviving person.
func (r *Resolver) Alias(f *Facts, project uint32, previousID, userID string, at int64) int64 {
	pu := r.lookup(project, userID)
	pp := r.lookup(project, previousID)
	switch {
	case pu == 0 && pp == 0:
		pu = r.create(f, project, at)
		r.assign(f, project, previousID, pu, false)
		r.assign(f, project, userID, pu, true)
	case pu == 0:
		pu = pp
		r.assign(f, project, userID, pu, true)
	case pp == 0:
		r.assign(f, project, previousID, pu, false)
	default:
		r.merge(f, project, pp, pu)
	}
	return pu
}

// Forget removes a deleted person and everything merged into it from the map.
func (r *Resolver) Forget(project uint32, person int64) {
	person = r.resolve(project, person)
	gone := map[int64]bool{person: true}
	for _, o := range r.absorbed[personKey{project, person}] {
		gone[o] = true
		delete(r.overrides, personKey{project, o})
		delete(r.identified, personKey{project, o})
	}
	delete(r.absorbed, personKey{project, person})
	delete(r.identified, personKey{project, person})
	for k, p := range r.ids {
		if k.project == project && gone[p] {
			delete(r.ids, k)
		}
	}
}
