// The app's live player: plays a dance while it is still being drawn (app.py, issue 13).
//
// dance.video writes the video, as it is encoded, also as HLS with fragmented-MP4 segments:
// init.mp4, then segment00000.m4s, segment00001.m4s, ... (each renamed into place once
// complete, never changed after). The app shows
// <video data-live="URL of that folder/" data-segments="how many there will be">; this
// script, run once when the page loads, feeds each such player through Media Source
// Extensions: it appends the init segment and then every segment in order as it appears.
//
// Why not <video src="playlist.m3u8"> and the browser's own HLS player: Chromium's fails on a
// growing playlist whenever a reload of it comes back unchanged (DEMUXER_ERROR_COULD_NOT_PARSE,
// one start in three on a loaded 2-core machine, 2026-12), and the playlist itself, rewritten
// as it grows, can be served cut short. The segments' names and count are known in advance,
// so the playlist is not needed. The browser's own HLS player stays the fallback where Media
// Source Extensions are missing (Safari on iPhone).
() => {
  const POLL_MS = 100;         // how often a file that is not there yet is asked for again
  const GIVE_UP_MS = 60000;    // no new segment for this long: the drawing has failed
  const DEFAULT_CODECS = 'avc1.42c01e,mp4a.40.2';  // x264 ultrafast + AAC, if no avcC is found
  const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
  const segmentName = k => `segment${String(k).padStart(5, '0')}.m4s`;  // dance.video's
  const alive = video => video.isConnected && !video.hidden;  // HANDOVER_JS hides it when done

  async function whenThere(url, video) {
    // A file that will appear: its bytes once it has, or null if the player went away first.
    const deadline = Date.now() + GIVE_UP_MS;
    while (alive(video)) {
      try {
        const response = await fetch(url, {cache: 'no-store'});
        if (response.ok) return await response.arrayBuffer();
      } catch (err) { /* not served yet, or a dropped connection: ask again */ }
      if (Date.now() > deadline) throw new Error(`${url}: not there after ${GIVE_UP_MS} ms`);
      await sleep(POLL_MS);
    }
    return null;
  }

  function codecsOf(init) {
    // The MIME codecs an init segment declares: avc1.PPCCLL from its avcC box (profile,
    // constraints, level), and AAC-LC if it has an mp4a track.
    const bytes = new Uint8Array(init);
    const find = tag => {
      const code = [...tag].map(c => c.charCodeAt(0));
      for (let i = 0; i + 4 <= bytes.length; i++) {
        if (code.every((c, k) => bytes[i + k] === c)) return i;
      }
      return -1;
    };
    const found = [], avc = find('avcC');
    if (avc >= 0 && avc + 8 <= bytes.length) {
      const hex = [5, 6, 7].map(k => bytes[avc + k].toString(16).padStart(2, '0')).join('');
      found.push(`avc1.${hex}`);
    }
    if (find('mp4a') >= 0) found.push('mp4a.40.2');
    return found.length ? found.join(',') : DEFAULT_CODECS;
  }

  function append(buffer, data) {
    return new Promise((resolve, reject) => {
      buffer.addEventListener('updateend', resolve, {once: true});
      buffer.addEventListener('error', () => reject(new Error('appendBuffer failed')), {once: true});
      buffer.appendBuffer(data);
    });
  }

  async function feed(video) {
    const folder = video.dataset.live, count = Number(video.dataset.segments);
    const init = await whenThere(folder + 'init.mp4', video);
    if (!init) return;
    const type = `video/mp4; codecs="${codecsOf(init)}"`;
    if (!window.MediaSource || !MediaSource.isTypeSupported(type)) {
      video.src = folder + 'playlist.m3u8';  // the browser's own HLS player, where there is one
      return;
    }
    const source = new MediaSource();
    video.src = URL.createObjectURL(source);
    await new Promise(resolve => source.addEventListener('sourceopen', resolve, {once: true}));
    const buffer = source.addSourceBuffer(type);
    await append(buffer, init);
    for (let k = 0; k < count; k++) {
      const segment = await whenThere(folder + segmentName(k), video);
      if (!segment) return;
      await append(buffer, segment);
      if (k === 0) video.play().catch(() => {});  // autoplay, where the browser allows it
    }
    if (source.readyState === 'open') source.endOfStream();
  }

  function start(video) {
    if (video.dataset.feeding) return;
    video.dataset.feeding = '1';
    feed(video).catch(err => {
      video.dataset.error = String(err);  // the finished video still comes in its own player
      console.warn('live player:', err);
    });
  }

  const scan = () => document.querySelectorAll('#live video[data-live]').forEach(start);
  new MutationObserver(scan).observe(document.body, {childList: true, subtree: true});
  scan();
}
