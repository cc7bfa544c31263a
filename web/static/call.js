// The call page (web/src/pages/call.rs): device check, waiting room, WebRTC call, chat.
// Everything it needs comes from the data- attributes of #call; it talks to the signalling
// WebSocket of DESIGN §4b and uploads attachments with the session cookie and CSRF header.
// State for people and tests: #call[data-state] = connecting | waiting | ringing | in-call |
// ended | replaced; #call[data-remote-frames] = video frames decoded from the other side,
// [data-remote-audio-energy] / [data-remote-audio-packets] = total energy / packets of the
// audio received, [data-ice-ufrag] = the local ICE ufrag of the pair in use (it changes with
// an ICE restart), [data-ice-restarts] = restarts asked, [data-sent-frames] = video
// frames encoded (all from getStats, every second).
"use strict";

(() => {
  const root = document.getElementById("call");
  if (!root) return;
  const d = root.dataset;
  const texts = JSON.parse(d.texts || "{}");
  const t = (name) => texts[name] || name;
  const role = d.role;
  const patientSide = role === "patient" || role === "booth";
  const browserMedia = d.media === "browser";
  const audioCall = d.mode === "audio";
  const iceServers = JSON.parse(d.ice || "[]");
  const $ = (id) => document.getElementById(id);
  const statusLine = $("call-status");

  let ws = null;
  let pc = null;
  let localStream = null;
  let pendingCandidates = [];
  let statsTimer = null;
  let previous = null;
  let reconnects = 0;
  let stopped = false;
  let ringTimer = null;

  const setState = (state, text) => {
    root.dataset.state = state;
    if (text) statusLine.textContent = text;
  };
  const send = (frame) => {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  };

  // ---- Device check -------------------------------------------------------------------
  async function openDevices() {
    if (!browserMedia) return;
    try {
      localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: !audioCall });
    } catch (e) {
      try {
        localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      } catch (e2) {
        statusLine.textContent = t("no-devices");
        return;
      }
    }
    const selfView = $("self-view");
    if (selfView) selfView.srcObject = localStream;
    levelMeter(localStream);
  }

  function levelMeter(stream) {
    const meter = $("mic-level");
    if (!meter || stream.getAudioTracks().length === 0 || !window.AudioContext) return;
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 512;
    context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let peak = 0;
      for (const s of samples) peak = Math.max(peak, Math.abs(s));
      meter.value = Math.min(1, peak);
    }, 100);
  }

  function beep(frequency, seconds) {
    if (!window.AudioContext) return;
    const context = new AudioContext();
    const tone = context.createOscillator();
    const gain = context.createGain();
    tone.frequency.value = frequency;
    gain.gain.value = 0.2;
    tone.connect(gain).connect(context.destination);
    tone.start();
    tone.stop(context.currentTime + seconds);
    tone.onended = () => context.close();
  }

  const speaker = $("speaker-test");
  if (speaker) speaker.addEventListener("click", () => beep(440, 1));

  // ---- Waiting room ---------------------------------------------------------------------
  function showRoom(roles, inCall) {
    const who = $("who");
    who.replaceChildren(...roles.map((r) => {
      const li = document.createElement("li");
      li.textContent = r === role ? `${t(r)} (${t("you")})` : t(r);
      return li;
    }));
    const patientHere = roles.includes("patient") || roles.includes("booth");
    const ring = $("ring");
    if (ring) ring.disabled = !patientHere || inCall;
    if (inCall) {
      setState("in-call", t("in-call"));
    } else if (root.dataset.state !== "ringing" && root.dataset.state !== "ended") {
      const text = patientSide
        ? t("waiting-practitioner")
        : patientHere ? t("patient-waiting") : t("waiting-patient");
      setState("waiting", text);
    }
    if (inCall && !patientSide && pc === null && roles.length < 2) {
      statusLine.textContent = t("peer-left");
    }
  }

  function stopRinging() {
    clearInterval(ringTimer);
    ringTimer = null;
    $("incoming").hidden = true;
  }

  // ---- WebRTC --------------------------------------------------------------------------
  function peer() {
    if (pc || !browserMedia) return pc;
    pc = new RTCPeerConnection({ iceServers, bundlePolicy: "max-bundle" });
    if (localStream) {
      for (const track of localStream.getTracks()) pc.addTrack(track, localStream);
    }
    // Receive what the other side sends even when this side has nothing to send.
    if (!localStream || localStream.getAudioTracks().length === 0) {
      pc.addTransceiver("audio", { direction: "recvonly" });
    }
    if (!audioCall && (!localStream || localStream.getVideoTracks().length === 0)) {
      pc.addTransceiver("video", { direction: "recvonly" });
    }
    pc.ontrack = (event) => {
      const remote = $("remote-video");
      if (remote && event.streams[0]) remote.srcObject = event.streams[0];
    };
    pc.onicecandidate = (event) => {
      if (event.candidate) {
        send({ type: "ice", candidate: event.candidate.candidate,
          sdpMLineIndex: event.candidate.sdpMLineIndex || 0 });
      }
    };
    pc.oniceconnectionstatechange = () => {
      if (!pc) return;
      const state = pc.iceConnectionState;
      clearTimeout(disconnectedTimer);
      if (state === "failed") restartIce();
      // Chromium calls a path `failed` only after about 30 s without answers; one that stays
      // `disconnected` for 5 s (a laptop that changed network) is worth a restart already.
      if (state === "disconnected") disconnectedTimer = setTimeout(restartIce, 5000);
    };
    statsTimer = setInterval(sendStats, 1000);
    return pc;
  }

  // An ICE restart (a changed network): the practitioner's side makes a new offer with fresh
  // credentials, the patient's side asks it to. At most one every 10 s; again later if ICE is
  // still not connected. Counted in #call[data-ice-restarts].
  let disconnectedTimer = null;
  let restartedAt = 0;
  function restartIce() {
    if (!pc) return;
    const state = pc.iceConnectionState;
    if (state === "connected" || state === "completed") return;
    if (Date.now() - restartedAt < 10000) {
      disconnectedTimer = setTimeout(restartIce, 10000 - (Date.now() - restartedAt));
      return;
    }
    if (patientSide) {
      restarted();
      send({ type: "restart" });
    } else {
      offerRestart().catch(() => {});
    }
  }

  function restarted() {
    restartedAt = Date.now();
    root.dataset.iceRestarts = String(Number(d.iceRestarts || 0) + 1);
  }

  async function offerRestart() {
    restarted();
    await offer(true);
  }

  async function offer(iceRestart) {
    const connection = peer();
    if (!connection) return;
    const description = await connection.createOffer({ iceRestart: !!iceRestart });
    await connection.setLocalDescription(description);
    send({ type: "offer", sdp: connection.localDescription.sdp });
  }

  async function onOffer(sdp) {
    const connection = peer();
    if (!connection) return;
    await connection.setRemoteDescription({ type: "offer", sdp });
    await flushCandidates();
    const answer = await connection.createAnswer();
    await connection.setLocalDescription(answer);
    send({ type: "answer", sdp: connection.localDescription.sdp });
  }

  async function onAnswer(sdp) {
    if (!pc) return;
    await pc.setRemoteDescription({ type: "answer", sdp });
    await flushCandidates();
  }

  async function onIce(frame) {
    const candidate = { candidate: frame.candidate, sdpMLineIndex: frame.sdpMLineIndex };
    if (pc && pc.remoteDescription) {
      await pc.addIceCandidate(candidate).catch(() => {});
    } else {
      pendingCandidates.push(candidate);
    }
  }

  async function flushCandidates() {
    const waiting = pendingCandidates;
    pendingCandidates = [];
    for (const c of waiting) await pc.addIceCandidate(c).catch(() => {});
  }

  function closePeer() {
    clearTimeout(disconnectedTimer);
    clearInterval(statsTimer);
    statsTimer = null;
    previous = null;
    if (pc) pc.close();
    pc = null;
    pendingCandidates = [];
  }

  // Every second the data- attributes follow getStats; every fourth, a `stats` frame goes to
  // the server (the quality record).
  let statsTick = 0;
  async function sendStats() {
    if (!pc) return;
    const report = await pc.getStats();
    const sending = statsTick++ % 4 === 0;
    const now = performance.now();
    const q = {};
    let inVideo = null;
    let inAudio = null;
    let outVideo = null;
    let inBytes = 0;
    let outBytes = 0;
    report.forEach((s) => {
      if (s.type === "candidate-pair" && s.nominated && s.currentRoundTripTime !== undefined) {
        q.rtt_ms = s.currentRoundTripTime * 1000;
      }
      if (s.type === "inbound-rtp") {
        inBytes += s.bytesReceived || 0;
        if (s.kind === "video") inVideo = s;
        if (s.kind === "audio") inAudio = s;
      }
      if (s.type === "outbound-rtp") {
        outBytes += s.bytesSent || 0;
        if (s.kind === "video") outVideo = s;
      }
    });
    // Which ICE generation carries the call: the local ufrag of the selected pair.
    report.forEach((s) => {
      if (s.type !== "transport" || !s.selectedCandidatePairId) return;
      const pair = report.get(s.selectedCandidatePairId);
      const local = pair && report.get(pair.localCandidateId);
      if (local && local.usernameFragment) root.dataset.iceUfrag = local.usernameFragment;
    });
    if (inAudio) {
      root.dataset.remoteAudioPackets = String(inAudio.packetsReceived || 0);
      if (inAudio.totalAudioEnergy !== undefined) {
        root.dataset.remoteAudioEnergy = String(inAudio.totalAudioEnergy);
      }
    }
    if (outVideo) root.dataset.sentFrames = String(outVideo.framesEncoded || 0);
    if (inVideo) root.dataset.remoteFrames = String(inVideo.framesDecoded || 0);
    if (!sending) return;
    if (inVideo) {
      if (inVideo.jitter !== undefined) q.jitter_ms = inVideo.jitter * 1000;
      if (inVideo.framesPerSecond !== undefined) q.recv_fps = inVideo.framesPerSecond;
      if (inVideo.frameWidth) { q.recv_width = inVideo.frameWidth; q.recv_height = inVideo.frameHeight; }
      q.recv_frames_total = inVideo.framesDecoded || 0;
    }
    if (outVideo) {
      if (outVideo.framesPerSecond !== undefined) q.send_fps = outVideo.framesPerSecond;
      if (outVideo.frameWidth) { q.send_width = outVideo.frameWidth; q.send_height = outVideo.frameHeight; }
    }
    const received = inVideo ? inVideo.packetsReceived || 0 : 0;
    const lost = inVideo ? inVideo.packetsLost || 0 : 0;
    if (previous) {
      const seconds = (now - previous.at) / 1000;
      if (seconds > 0) {
        q.recv_kbps = ((inBytes - previous.inBytes) * 8) / 1000 / seconds;
        q.send_kbps = ((outBytes - previous.outBytes) * 8) / 1000 / seconds;
      }
      const got = received - previous.received;
      const missing = Math.max(0, lost - previous.lost);
      if (got + missing > 0) q.loss_pct = (missing * 100) / (got + missing);
    }
    previous = { at: now, inBytes, outBytes, received, lost };
    send({ type: "stats", ...q });
  }

  function endCall(text) {
    closePeer();
    stopRinging();
    setState("ended", text);
    const remote = $("remote-video");
    if (remote) remote.srcObject = null;
  }

  // ---- Signalling -----------------------------------------------------------------------
  async function onFrame(frame) {
    switch (frame.type) {
      case "waiting": showRoom(frame.roles || [], false); break;
      case "present": showRoom(frame.roles || [], true); break;
      case "ring":
        if (!patientSide) break;
        $("incoming").hidden = false;
        setState("ringing", t("incoming"));
        beep(660, 0.4);
        clearInterval(ringTimer);
        ringTimer = setInterval(() => beep(660, 0.4), 2000);
        $("accept").focus();
        break;
      case "accept":
        // The practitioner's side calls: it makes the offer.
        if (!patientSide) {
          setState("in-call", t("in-call"));
          await offer(false);
        }
        break;
      case "decline":
        setState("waiting", t("declined"));
        break;
      case "offer": await onOffer(frame.sdp); break;
      case "answer": await onAnswer(frame.sdp); break;
      case "ice": await onIce(frame); break;
      case "restart":
        // The other side lost the path too: one restart answers both.
        if (!patientSide && Date.now() - restartedAt > 5000) await offerRestart();
        break;
      case "chat": showChat(frame); break;
      case "hangup": endCall(t("ended")); break;
      case "error":
        if (frame.error === "replaced") {
          stopped = true;
          endCall(t("replaced"));
          root.dataset.state = "replaced";
        } else {
          statusLine.textContent = `${t("error")} ${frame.message || ""}`;
        }
        break;
      default: break;
    }
  }

  function retry() {
    if (stopped || reconnects >= 30) return;
    reconnects += 1;
    statusLine.textContent = t("reconnecting");
    setTimeout(connect, Math.min(10000, 1000 * reconnects));
  }

  // The socket opens with a single-use ticket asked for with the session cookie: the session
  // token never appears in a URL.
  async function connect() {
    let ticket;
    try {
      const response = await fetch(d.ticketPath, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": d.csrf },
      });
      if (response.status === 401) {
        stopped = true;
        endCall(t("session-ended"));
        return;
      }
      if (!response.ok) { retry(); return; }
      ticket = (await response.json()).ticket;
    } catch (e) {
      retry();
      return;
    }
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + d.signalPath + "?ticket=" + encodeURIComponent(ticket));
    ws.onopen = () => {
      reconnects = 0;
      send({ type: "join", role });
    };
    ws.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      onFrame(frame).catch((e) => { statusLine.textContent = `${t("error")} ${e}`; });
    };
    ws.onclose = (event) => {
      // 4001: the session ended (logout elsewhere, expiry); 4002: the appointment was cancelled.
      if (event.code === 4001 || event.code === 4002) {
        stopped = true;
        endCall(t(event.code === 4001 ? "session-ended" : "appointment-cancelled"));
        root.dataset.state = "closed";
        return;
      }
      retry();
    };
  }

  // ---- Controls -------------------------------------------------------------------------
  const ringButton = $("ring");
  if (ringButton) {
    ringButton.addEventListener("click", () => {
      send({ type: "ring" });
      setState("ringing", t("ringing"));
    });
  }
  $("accept").addEventListener("click", () => {
    stopRinging();
    send({ type: "accept" });
    setState("in-call", t("in-call"));
  });
  $("decline").addEventListener("click", () => {
    stopRinging();
    send({ type: "decline" });
    setState("waiting", t("waiting-practitioner"));
  });
  $("hangup").addEventListener("click", () => {
    send({ type: "hangup" });
    endCall(t("ended"));
  });

  function toggle(button, apply) {
    if (!button) return;
    button.addEventListener("click", () => {
      const on = button.getAttribute("aria-pressed") !== "true";
      button.setAttribute("aria-pressed", String(on));
      apply(on);
    });
  }
  toggle($("mute"), (on) => {
    if (localStream) localStream.getAudioTracks().forEach((track) => { track.enabled = !on; });
  });
  toggle($("camera"), (on) => {
    if (localStream) localStream.getVideoTracks().forEach((track) => { track.enabled = !on; });
  });
  toggle($("audio-only"), (on) => {
    // Stop sending video altogether (bandwidth), and stop showing the other side's.
    const video = localStream ? localStream.getVideoTracks()[0] : null;
    if (pc) {
      pc.getSenders()
        .filter((s) => (s.track && s.track.kind === "video") || (on === false && s.track === null))
        .forEach((s) => s.replaceTrack(on ? null : video).catch(() => {}));
    }
    const remote = $("remote-video");
    if (remote) remote.hidden = on;
  });

  // ---- Chat -----------------------------------------------------------------------------
  function showChat(frame) {
    const item = document.createElement("li");
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = frame.from === role ? t("you") : t(frame.from || "");
    item.append(who, document.createTextNode(frame.text || ""));
    if (frame.attachment_id) {
      const link = document.createElement("a");
      link.href = `/api/v1/appointments/${d.appointment}/attachments/${frame.attachment_id}`;
      link.textContent = t("attachment");
      link.className = "attachment";
      item.append(" ", link);
    }
    $("chat-log").append(item);
    item.scrollIntoView({ block: "nearest" });
  }

  // Stores a file with the appointment; its id, or null (told on the status line).
  async function upload(blob, name) {
    if (blob.size > Number(d.maxBytes)) {
      statusLine.textContent = t("upload-failed");
      return null;
    }
    const url = `/api/v1/appointments/${d.appointment}/attachments?name=${encodeURIComponent(name)}`;
    const response = await fetch(url, {
      method: "POST",
      body: blob,
      credentials: "same-origin",
      headers: { "Content-Type": blob.type || "application/octet-stream", "X-CSRF-Token": d.csrf },
    }).catch(() => null);
    if (!response || !response.ok) {
      statusLine.textContent = t("upload-failed");
      return null;
    }
    return (await response.json()).id;
  }

  // The practitioner's snapshot of the other side's picture, as shown, into the appointment's
  // files; the patient is told in the chat that a photo was taken.
  const snapshot = $("snapshot");
  if (snapshot) {
    snapshot.addEventListener("click", async () => {
      const video = $("remote-video");
      if (!video || !video.videoWidth || video.hidden) {
        statusLine.textContent = t("snapshot-failed");
        return;
      }
      const canvas = document.createElement("canvas");
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
      if (!blob) {
        statusLine.textContent = t("snapshot-failed");
        return;
      }
      const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
      const attachment = await upload(blob, `snapshot-${stamp}.jpg`);
      if (!attachment) return;
      send({ type: "chat", text: t("snapshot-taken"), attachment_id: attachment });
      statusLine.textContent = t("snapshot-taken");
    });
  }

  $("chat-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("chat-text").value;
    const file = $("chat-file").files[0];
    let attachment = null;
    if (file) {
      attachment = await upload(file, file.name);
      if (!attachment) return;
    }
    if (!text.trim() && !attachment) return;
    const frame = { type: "chat", text };
    if (attachment) frame.attachment_id = attachment;
    send(frame);
    $("chat-text").value = "";
    $("chat-file").value = "";
  });

  openDevices().finally(connect);
})();
