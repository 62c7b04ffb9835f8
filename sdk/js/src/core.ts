// Core of the Jingyun JavaScript SDK: identity, super properties, consent, the persisted
// offline queue, batching and retry. It speaks the Segment wire format (POST /v1/batch) and
// knows nothing of a platform: the web and mini-program targets subclass Client and supply
// storage, transport and context.

/** Props are event properties, person traits or context: plain JSON objects. */
export type Props = Record<string, unknown>;

/** Options configure a client; only writeKey and host are required. */
export interface Options {
  /** The project's write key (wk_…). */
  writeKey: string;
  /** The collector's base URL, e.g. "https://jy.example.com" (no trailing /v1). */
  host: string;
  /** Send as soon as this many events are queued (default 20). */
  flushAt?: number;
  /** Send queued events at least this often, in milliseconds (default 5000). */
  flushInterval?: number;
  /** Most events in one request (default 100; halved automatically on 413). */
  maxBatchSize?: number;
  /** Most events kept while offline; the oldest are dropped beyond it (default 500). */
  maxQueueSize?: number;
  /** First retry delay in milliseconds, doubled per failure with jitter (default 1000). */
  retryBase?: number;
  /** Longest backoff delay in milliseconds (default 60000); a longer Retry-After wins. */
  retryMax?: number;
  /** Log every message and answer to the console. */
  debug?: boolean;
  /** Track nothing until optIn() is called (consent first, as PIPL asks). */
  requireConsent?: boolean;
  /** Properties added to every track and page event (persisted, see register). */
  superProperties?: Props;
}

/** Message is one Segment message as sent on the wire. */
export interface Message {
  type: 'track' | 'page' | 'screen' | 'identify' | 'alias' | 'group';
  messageId: string;
  timestamp: string;
  anonymousId: string;
  userId?: string;
  event?: string;
  name?: string;
  properties?: Props;
  traits?: Props;
  previousId?: string;
  groupId?: string;
  context: Props;
}

/** Answer is what a transport reports: status 0 means the request never got an answer. */
export interface Answer {
  status: number;
  /** Retry-After in seconds, 0 when absent. */
  retryAfter: number;
  body: string;
}

/** State is what a client persists between launches. */
interface State {
  /** anonymous id of this device (until reset) */
  a: string;
  /** user id, when identified */
  u?: string;
  /** the user id came from a WeChat openid/unionid, not from the shop's login */
  w?: boolean;
  /** super properties */
  s: Props;
  /** opted out (true), opted in (false), undecided (absent: Options.requireConsent decides) */
  x?: boolean;
  /** WeChat openid and unionid */
  o?: string;
  n?: string;
}

/** VERSION is the SDK's version, sent as context.library.version. */
export const VERSION = '0.1.0';

/** uuid returns a random (version 4) UUID. */
export function uuid(): string {
  const b = new Uint8Array(16);
  const c = typeof crypto !== 'undefined' ? crypto : undefined;
  if (c && c.getRandomValues) c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = (Math.random() * 256) | 0;
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  let s = '';
  for (let i = 0; i < 16; i++) {
    s += (b[i] + 256).toString(16).slice(1);
    if (i === 3 || i === 5 || i === 7 || i === 9) s += '-';
  }
  return s;
}

/** parseQuery turns "a=1&b=x%20y" (with or without a leading ?) into an object. */
export function parseQuery(qs: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of qs.replace(/^\?/, '').split('&')) {
    if (!kv) continue;
    const i = kv.indexOf('=');
    const k = dec(i < 0 ? kv : kv.slice(0, i));
    out[k] = i < 0 ? '' : dec(kv.slice(i + 1));
  }
  return out;
}

/** dec decodes a URI component, leaving it as is when it is not valid. */
export function dec(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch (e) {
    return s;
  }
}

/** campaign returns context.campaign from utm_* parameters, or undefined. */
export function campaign(q: Record<string, unknown>): Props | undefined {
  let c: Props | undefined;
  for (const k of ['source', 'medium', 'campaign', 'term', 'content']) {
    const v = q['utm_' + k];
    if (v != null && v !== '') (c = c || {})[k === 'campaign' ? 'name' : k] = dec(String(v));
  }
  return c;
}

/**
 * Client is the platform-independent SDK. Calls before init are ignored (with a warning);
 * every call after init is synchronous: the message is in the persisted queue when it
 * returns, and goes out in the background.
 */
export abstract class Client {
  protected o: Required<Options> = {} as Required<Options>;
  protected st: State = { a: '', s: {} };
  /** true when this device had no stored state at init: a new user */
  protected isNew = false;
  protected ready = false;
  private q: Message[] = [];
  private busy = false;
  private batch: number = 100;
  private attempt = 0;
  private timer: any;
  private retryTimer: any;
  private waiters: Array<(drained: boolean) => void> = [];

  /** storage read; null when absent */
  protected abstract load(key: string): string | null;
  /** storage write; must not throw */
  protected abstract save(key: string, value: string): void;
  /** POST body to url and call done exactly once */
  protected abstract post(url: string, body: string, done: (a: Answer) => void): void;
  /** context for a new message (library, device, page, scene, …) */
  protected abstract context(): Props;

  /** init configures the client, restores its state and resends what a past run left. */
  init(options: Options): this {
    if (this.ready) return this;
    if (!options || !options.writeKey || !options.host) throw new Error('jingyun: init needs writeKey and host');
    this.o = Object.assign(
      { flushAt: 20, flushInterval: 5000, maxBatchSize: 100, maxQueueSize: 500, retryBase: 1000, retryMax: 60000, debug: false, requireConsent: false, superProperties: {} },
      options,
    ) as Required<Options>;
    this.o.host = this.o.host.replace(/\/+$/, '');
    this.batch = this.o.maxBatchSize;
    const raw = this.load(this.key('s'));
    let st: State | undefined;
    try {
      st = raw ? JSON.parse(raw) : undefined;
    } catch (e) {}
    this.isNew = !st || !st.a;
    this.st = st && st.a ? st : { a: uuid(), s: {} };
    Object.assign(this.st.s, this.o.superProperties);
    this.store();
    try {
      const q = JSON.parse(this.load(this.key('q')) || '[]');
      if (Array.isArray(q)) this.q = q;
    } catch (e) {}
    this.ready = true;
    this.log('init', this.st.a, this.q.length + ' queued');
    if (this.q.length) this.schedule(0);
    return this;
  }

  // ---- identity ----

  /** getAnonymousId returns this device's anonymous id. */
  getAnonymousId(): string {
    return this.st.a;
  }

  /** getUserId returns the user id set by identify or setOpenid, if any. */
  getUserId(): string | undefined {
    return this.st.u;
  }

  /** getDistinctId returns the id events are attributed to: the user id, else the anonymous id. */
  getDistinctId(): string {
    return this.st.u || this.st.a;
  }

  /**
   * identify sets the user id (the shop's member id) and person traits. Events sent before
   * it with this device's anonymous id count for the same person. A user id that came from
   * setOpenid is aliased to the new one so both stay one person. Traits are set (last write
   * wins); put first-touch values under traits.$set_once.
   */
  identify(userId?: string | number | null | Props, traits?: Props): void {
    if (userId != null && typeof userId === 'object') {
      traits = userId;
      userId = undefined;
    }
    if (!this.on()) return;
    if (userId != null && userId !== '') {
      const id = String(userId);
      const prev = this.st.u;
      this.st.u = id;
      if (prev && prev !== id && this.st.w) this.enqueue('alias', { previousId: prev });
      this.st.w = false;
      this.store();
    }
    this.enqueue('identify', { traits });
  }

  /**
   * setOpenid records the WeChat openid (and unionid when the mini-program is bound to an
   * open-platform account). Both go into context.openid / context.unionid of later events
   * and into the person's traits. Until the shop's own login calls identify, the unionid (or
   * else the openid) serves as the user id, so the person is recognised on every device and
   * after reinstalls; a later identify aliases it to the member id.
   */
  setOpenid(openid: string, unionid?: string): void {
    if (!this.on() || !openid) return;
    this.st.o = openid;
    if (unionid) this.st.n = unionid;
    const id = this.st.n || openid;
    const prev = this.st.u;
    if ((!prev || this.st.w) && prev !== id) {
      this.st.u = id;
      this.st.w = true;
      if (prev) this.enqueue('alias', { previousId: prev });
    }
    this.store();
    const t: Props = { openid };
    if (this.st.n) t.unionid = this.st.n;
    this.enqueue('identify', { traits: t });
  }

  /** alias merges the person of previousId (default: the current distinct id) into userId's. */
  alias(userId: string, previousId?: string): void {
    if (!this.on() || !userId) return;
    this.enqueue('alias', { userId: String(userId), previousId: previousId || this.getDistinctId() });
  }

  /** group associates the person with a group (a company, a store, a community). */
  group(groupId: string, traits?: Props): void {
    if (this.on() && groupId) this.enqueue('group', { groupId: String(groupId), traits });
  }

  /**
   * reset forgets the user (call it on logout): a new anonymous id, no user id, no openid,
   * no super properties. Queued events keep the ids they were tracked with. Consent stays.
   */
  reset(): void {
    if (!this.ready) return;
    this.st = { a: uuid(), s: {}, x: this.st.x };
    this.store();
  }

  // ---- events ----

  /** track records an event such as "Product Viewed" with its properties. */
  track(event: string, properties?: Props): void {
    if (!this.on()) return;
    if (!event) return this.log('track: an event name is required');
    this.enqueue('track', { event: String(event), properties: this.props(properties) });
  }

  /** page records a page view (stored as $pageview). */
  page(name?: string, properties?: Props): void {
    if (this.on()) this.enqueue('page', { name, properties: this.props(properties) });
  }

  /** register sets super properties, added to every later track and page event. */
  register(props: Props): void {
    if (!this.ready) return;
    Object.assign(this.st.s, props);
    this.store();
  }

  /** registerOnce sets super properties that are not set yet. */
  registerOnce(props: Props): void {
    if (!this.ready) return;
    for (const k in props) if (!(k in this.st.s)) this.st.s[k] = props[k];
    this.store();
  }

  /** unregister removes one super property. */
  unregister(key: string): void {
    if (!this.ready) return;
    delete this.st.s[key];
    this.store();
  }

  // ---- consent ----

  /** optOut stops all tracking on this device and discards queued events, until optIn. */
  optOut(): void {
    if (!this.ready) return;
    this.st.x = true;
    this.q = [];
    this.persist();
    this.store();
    clearTimeout(this.timer);
    clearTimeout(this.retryTimer);
    this.timer = this.retryTimer = undefined;
    this.settle(true);
  }

  /** optIn (re)starts tracking on this device. */
  optIn(): void {
    if (!this.ready) return;
    this.st.x = false;
    this.store();
  }

  /** hasOptedOut tells whether tracking is off (opted out, or consent required and not given). */
  hasOptedOut(): boolean {
    return this.st.x == null ? !!this.o.requireConsent : this.st.x;
  }

  /** setDebug switches console logging of messages and answers. */
  setDebug(on: boolean): void {
    this.o.debug = on;
  }

  // ---- delivery ----

  /**
   * flush sends everything queued now. The promise resolves with true once the queue is
   * empty, or false when a send failed (the events stay queued and are retried with
   * backoff).
   */
  flush(): Promise<boolean> {
    return new Promise((resolve) => {
      if (!this.ready || !this.q.length) return resolve(true);
      this.waiters.push(resolve);
      if (this.retryTimer) {
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
      }
      this.send();
    });
  }

  /** queued returns how many events wait to be sent. */
  queued(): number {
    return this.q.length;
  }

  /** pending returns the queue itself (read only), oldest first. */
  protected pending(): Message[] {
    return this.q;
  }

  protected on(): boolean {
    if (!this.ready) {
      if (typeof console !== 'undefined') console.warn('[jingyun] call init first');
      return false;
    }
    return !this.hasOptedOut();
  }

  protected props(p?: Props): Props {
    return Object.assign({}, this.st.s, p);
  }

  protected key(k: string): string {
    return 'jy_' + k + '_' + this.o.writeKey;
  }

  protected store(): void {
    this.save(this.key('s'), JSON.stringify(this.st));
  }

  protected log(...args: unknown[]): void {
    if (this.o.debug && typeof console !== 'undefined') console.log('[jingyun]', ...args);
  }

  /** enqueue builds a message with ids, time and context, queues it and persists the queue. */
  protected enqueue(type: Message['type'], fields: Partial<Message>): void {
    const ctx = this.context();
    if (this.st.o) ctx.openid = this.st.o;
    if (this.st.n) ctx.unionid = this.st.n;
    const m: Message = Object.assign(
      { type, messageId: uuid(), timestamp: new Date().toISOString(), anonymousId: this.st.a, userId: this.st.u },
      fields,
      { context: ctx },
    );
    for (const k in m) if ((m as any)[k] == null) delete (m as any)[k];
    this.log(type, m.event || m.name || '', m);
    const over = this.q.length - this.o.maxQueueSize + 1;
    if (over > 0) {
      // Oldest first, even if on the wire: its answer removes by id, so nothing breaks.
      this.q.splice(0, over);
      this.log('queue full: dropped the oldest ' + over);
    }
    this.q.push(m);
    this.persist();
    if (this.q.length >= this.o.flushAt) this.schedule(0);
    else if (!this.timer) this.schedule(this.o.flushInterval);
  }

  protected persist(): void {
    this.save(this.key('q'), JSON.stringify(this.q));
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.send();
    }, ms);
  }

  /** retryNow sends at once when a retry is waiting (the network is back, the app is shown). */
  protected retryNow(): void {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.send();
    }
  }

  /** body is the JSON of a batch request. */
  protected body(batch: Message[]): string {
    return JSON.stringify({ batch, sentAt: new Date().toISOString(), writeKey: this.o.writeKey });
  }

  protected url(): string {
    return this.o.host + '/v1/batch';
  }

  /** remove drops sent (or rejected) messages by id and persists the queue. */
  protected remove(batch: Message[]): void {
    const ids: Record<string, 1> = {};
    for (const m of batch) ids[m.messageId] = 1;
    this.q = this.q.filter((m) => !ids[m.messageId]);
    this.persist();
  }

  private settle(drained: boolean): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f(drained);
  }

  /**
   * send posts the head of the queue, one request at a time. What the answer means:
   * 2xx stored; 400 invalid_events: the valid events are stored and the rejected ones would
   * be rejected again, so the batch is done; 413 with more than one event: halve the batch
   * and resend; any other 4xx but 408 and 429: the batch can never succeed, drop it; no
   * answer, 408, 429, 5xx: keep it and retry after the backoff or Retry-After, whichever is
   * longer. Resending is safe: the collector deduplicates by messageId.
   */
  protected send(): void {
    if (this.busy || this.retryTimer || !this.ready) return;
    if (!this.q.length || this.hasOptedOut()) return this.settle(true);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.busy = true;
    const batch = this.q.slice(0, this.batch);
    this.post(this.url(), this.body(batch), (a) => {
      this.busy = false;
      const s = a.status;
      this.log('answer', s, a.body);
      if (s >= 200 && s < 300) {
        this.attempt = 0;
        this.remove(batch);
        return this.send();
      }
      if (s === 413 && batch.length > 1) {
        this.batch = Math.max(1, batch.length >> 1);
        return this.send();
      }
      if (s >= 400 && s < 500 && s !== 408 && s !== 429) {
        this.warn(s, a.body);
        this.attempt = 0;
        this.remove(batch);
        return this.send();
      }
      this.attempt++;
      const backoff = Math.min(this.o.retryMax, this.o.retryBase * Math.pow(2, this.attempt - 1));
      const ms = Math.max(a.retryAfter * 1000, backoff * (0.5 + Math.random() / 2));
      this.log('retry in ' + Math.round(ms) + ' ms');
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.send();
      }, ms);
      this.settle(false);
    });
  }

  private warn(status: number, body: string): void {
    if (typeof console !== 'undefined') console.warn('[jingyun] events dropped: ' + status + ' ' + body);
  }
}
