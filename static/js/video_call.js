/* HealthLink video call page: joins the appointment's Janus videoroom with janus.js,
 * publishes the camera and microphone, subscribes to the others, and reports joins,
 * leaves and WebRTC statistics to the portal. */
(function () {
  "use strict";
  var root = document.getElementById("call");
  if (!root || typeof Janus === "undefined") { return; }
  var data = root.dataset;
  var $ = function (id) { return document.getElementById(id); };
  var janus = null, publisher = null, ticket = null, privateId = null, statsTimer = null;
  var lastBytes = null, joined = false;
  var participants = {};  // Janus participant id -> display ("ROLE:Name")

  function post(url, body, keepalive) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", keepalive: !!keepalive,
      headers: {"Content-Type": "application/json", "X-CSRFToken": data.csrf},
      body: JSON.stringify(body),
    });
  }
  function report(kind, stats, keepalive) {
    var body = {kind: kind};
    if (stats) { body.stats = stats; }
    return post(data.eventsUrl, body, keepalive).catch(function () {});
  }
  function status(text) { $("call-status").textContent = text || ""; }
  function unavailable(message) {
    var box = $("video-unavailable");
    if (message) { $("video-unavailable-message").textContent = message; }
    box.hidden = false;
    $("call-join").hidden = true;
  }

  function roleLabel(role) {
    return {PATIENT: data.labelPatient, DOCTOR: data.labelDoctor, STAFF: data.labelStaff}[role]
      || role;
  }
  function renderParticipants() {
    var list = $("call-participants");
    list.textContent = "";
    var add = function (display, mine) {
      var parts = String(display || "").split(":");
      var role = parts.shift();
      var item = document.createElement("li");
      item.dataset.role = role;
      item.textContent = roleLabel(role) + " — " + parts.join(":") +
        (mine ? " (" + data.labelYou + ")" : "");
      list.appendChild(item);
    };
    if (ticket && joined) { add(ticket.display, true); }
    Object.keys(participants).forEach(function (id) { add(participants[id], false); });
  }
  function addPeople(list) {
    (list || []).forEach(function (person) {
      if (person && person.id !== undefined) { participants[person.id] = person.display; }
    });
    renderParticipants();
  }

  function subscribe(feed) {
    var handle = null;
    janus.attach({
      plugin: "janus.plugin.videoroom",
      success: function (h) {
        handle = h;
        h.send({message: {request: "join", ptype: "subscriber", room: ticket.room,
                          pin: ticket.pin, feed: feed.id, private_id: privateId}});
      },
      onmessage: function (msg, jsep) {
        if (!jsep) { return; }
        handle.createAnswer({
          jsep: jsep, tracks: [{type: "data"}],
          success: function (answer) {
            handle.send({message: {request: "start", room: ticket.room}, jsep: answer});
          },
          error: function () { status(data.labelFailed); },
        });
      },
      onremotetrack: function (track, mid, on) {
        var id = "call-remote-" + feed.id + "-" + mid;
        var element = $(id);
        if (!on) { if (element) { element.remove(); } return; }
        if (element || track.kind !== "video" && track.kind !== "audio") { return; }
        element = document.createElement(track.kind === "video" ? "video" : "audio");
        element.id = id;
        element.autoplay = true;
        element.playsInline = true;
        if (track.kind === "video") { element.width = 320; element.height = 240; }
        $("call-remote").appendChild(element);
        Janus.attachMediaStream(element, new MediaStream([track]));
      },
    });
  }
  function subscribeAll(publishers) {
    (publishers || []).forEach(function (feed) {
      participants[feed.id] = feed.display;
      subscribe(feed);
    });
    renderParticipants();
  }

  function publish() {
    publisher.createOffer({
      tracks: [{type: "audio", capture: true, recv: false},
               {type: "video", capture: true, recv: false}],
      success: function (jsep) {
        publisher.send({message: {request: "configure", audio: true, video: true}, jsep: jsep});
      },
      error: function () { status(data.labelFailed); },  // no camera: still in the room
    });
  }

  function onPublisherMessage(msg, jsep) {
    var event = msg.videoroom;
    if (event === "joined") {
      joined = true;
      privateId = msg.private_id;
      report("joined");
      addPeople(msg.attendees);
      subscribeAll(msg.publishers);
      ["call-mute", "call-camera", "call-leave"].forEach(function (id) { $(id).hidden = false; });
      $("call-join").hidden = true;
      publish();
      statsTimer = setInterval(sendStats, Number(data.statsInterval) || 5000);
    } else if (event === "event") {
      if (msg.joining) { addPeople([msg.joining]); }
      if (msg.publishers) { subscribeAll(msg.publishers); }
      if (msg.leaving !== undefined && msg.leaving !== "ok") {
        delete participants[msg.leaving];
        renderParticipants();
      }
      if (msg.error) { status(msg.error); }
    }
    if (jsep) { publisher.handleRemoteJsep({jsep: jsep}); }
  }

  function sendStats() {
    var pc = publisher && publisher.webrtcStuff && publisher.webrtcStuff.pc;
    if (!pc || !pc.getStats) { return; }
    pc.getStats().then(function (reports) {
      var stats = {}, bytes = 0, now = Date.now();
      reports.forEach(function (r) {
        if (r.type === "candidate-pair" && r.nominated && r.currentRoundTripTime !== undefined) {
          stats.rtt_ms = Math.round(r.currentRoundTripTime * 1000);
        } else if (r.type === "remote-inbound-rtp" && r.fractionLost !== undefined) {
          stats.packet_loss_pct = Math.max(stats.packet_loss_pct || 0, r.fractionLost * 100);
        } else if (r.type === "outbound-rtp" && r.bytesSent !== undefined) {
          bytes += r.bytesSent;
        }
      });
      if (lastBytes !== null && now > lastBytes.at) {
        stats.bitrate_kbps = Math.max(0, Math.round((bytes - lastBytes.bytes) * 8 / (now - lastBytes.at)));
      }
      lastBytes = {bytes: bytes, at: now};
      if (Object.keys(stats).length) { report("stats", stats); }
    }).catch(function () {});
  }

  function leave() {
    if (!joined) { return; }
    joined = false;
    clearInterval(statsTimer);
    var reported = report("left", null, true);
    if (janus) { janus.destroy({unload: true}); }
    participants = {};
    renderParticipants();
    $("call-remote").textContent = "";
    ["call-mute", "call-camera", "call-leave"].forEach(function (id) { $(id).hidden = true; });
    reported.then(function () { status(data.labelLeft); });
  }

  function start() {
    janus = new Janus({
      server: data.janusUrl,
      success: function () {
        janus.attach({
          plugin: "janus.plugin.videoroom",
          success: function (h) {
            publisher = h;
            h.send({message: {request: "join", ptype: "publisher", room: ticket.room,
                              pin: ticket.pin, display: ticket.display}});
          },
          error: function () { unavailable(); },
          onmessage: onPublisherMessage,
          onlocaltrack: function (track, on) {
            if (track.kind !== "video") { return; }
            var local = $("call-local");
            local.srcObject = on ? new MediaStream([track]) : null;
          },
        });
      },
      error: function () { if (joined) { leave(); } unavailable(); },
    });
  }

  $("call-join").addEventListener("click", function () {
    $("call-join").disabled = true;
    post(data.joinUrl, {token: data.token}).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, code: response.status, body: body}; });
    }).then(function (answer) {
      if (!answer.ok) {
        if (answer.code === 503) { unavailable(answer.body.message); } else { status(answer.body.message); }
        return;
      }
      ticket = answer.body;
      Janus.init({
        debug: false,
        dependencies: Janus.useDefaultDependencies({adapter: window.adapter}),
        callback: start,
      });
    }).catch(function () { status(data.labelFailed); $("call-join").disabled = false; });
  });
  $("call-mute").addEventListener("click", function () {
    if (!publisher) { return; }
    var muted = publisher.isAudioMuted();
    if (muted) { publisher.unmuteAudio(); } else { publisher.muteAudio(); }
    this.textContent = muted ? data.labelMute : data.labelUnmute;
    this.setAttribute("aria-pressed", String(!muted));
  });
  $("call-camera").addEventListener("click", function () {
    if (!publisher) { return; }
    var off = publisher.isVideoMuted();
    if (off) { publisher.unmuteVideo(); } else { publisher.muteVideo(); }
    this.textContent = off ? data.labelCameraOff : data.labelCameraOn;
    this.setAttribute("aria-pressed", String(!off));
  });
  $("call-leave").addEventListener("click", leave);
  window.addEventListener("pagehide", leave);
}());
