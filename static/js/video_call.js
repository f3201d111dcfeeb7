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
  var lastBytes = null, joined = false, ended = false;
  var leaveOwed = false, leaveInFlight = false;  // a `left` not yet acknowledged
  var participants = {};  // Janus participant id -> display ("ROLE:user id")
  // Janus carries only "ROLE:user id"; the names come from the page.
  var people = JSON.parse(($("call-people") || {}).textContent || "{}");

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
    if (kind === "joined" && ticket) { body.grant = ticket.grant; }
    return post(data.eventsUrl, body, keepalive).catch(function () { return null; });
  }
  // A `left` that did not get through is sent again, and once more with sendBeacon when
  // the page goes away (a beacon cannot set the CSRF header: the token goes as a field).
  function reportLeft(attempt) {
    leaveOwed = leaveInFlight = true;
    return report("left", null, true).then(function (response) {
      leaveInFlight = false;
      if (response && (response.ok || response.status < 500 && response.status !== 429)) {
        leaveOwed = false;
      } else if ((attempt || 0) < 3) {
        setTimeout(function () { if (leaveOwed) { reportLeft((attempt || 0) + 1); } }, 2000);
      }
    });
  }
  function beaconLeft() {
    // Never while a `left` is still on its way: one tab must not close two entries.
    if (!leaveOwed || leaveInFlight || !navigator.sendBeacon) { return false; }
    var form = new URLSearchParams();
    form.set("csrfmiddlewaretoken", data.csrf);
    form.set("kind", "left");
    if (navigator.sendBeacon(data.eventsUrl, form)) { leaveOwed = false; }
    return !leaveOwed;
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
      var role = parts[0], person = people[role];
      var name = person && String(person.id) === parts[1] ? person.name : "";
      var item = document.createElement("li");
      item.dataset.role = role;
      item.textContent = roleLabel(role) + (name ? " — " + name : "") +
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
    } else if (event === "destroyed") {  // the close job destroyed the room
      end();
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

  function hangUp() {
    joined = false;
    clearInterval(statsTimer);
    if (janus) { janus.destroy({unload: true}); }
    participants = {};
    renderParticipants();
    $("call-remote").textContent = "";
    $("call-local").srcObject = null;
    ["call-mute", "call-camera", "call-leave"].forEach(function (id) { $(id).hidden = true; });
  }
  function leave() {
    if (!joined) { return; }
    var reported = reportLeft(0);
    hangUp();
    reported.then(function () { if (!ended) { status(data.labelLeft); } });
  }
  function end() {
    // The room is gone; the close job has already marked everyone as having left.
    ended = true;
    if (joined) { hangUp(); }
    $("call-join").hidden = true;
    status(data.labelEnded);
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

  function answerOf(response) {
    return response.json().then(function (body) {
      return {ok: response.ok, code: response.status, body: body};
    });
  }
  $("call-join").addEventListener("click", function () {
    $("call-join").disabled = true;
    // A fresh token on every click: the one in the page may have expired while waiting.
    post(data.tokenUrl, {}).then(answerOf).then(function (fresh) {
      if (!fresh.ok) { return fresh; }
      return post(data.joinUrl, {token: fresh.body.token}).then(answerOf);
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
  window.addEventListener("pagehide", function () {
    if (joined) {
      hangUp();
      leaveOwed = true;
      if (!beaconLeft()) { reportLeft(0); }
    } else {
      beaconLeft();  // an earlier `left` that failed
    }
  });
}());
