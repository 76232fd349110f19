// The "notify me when done" switch: kept in this browser; a notification and a short sound when a job finishes
// while the tab is hidden. And the live previews: each card names its newest frame in data-preview-src; this
// script loads it into the picture and marks the picture with the frame it shows (data-preview-sequence) once it
// has loaded. One frame is loading at a time; when it is in, the newest named meanwhile is next (latest wins: a slow
// browser skips frames instead of queueing them).
const key = 'dreamlayer.notify';

const observers = new WeakMap();
const previews = new WeakMap();

export function watchPreviews(root) {
    if (!root || observers.has(root)) return;
    const observer = new MutationObserver(records => {
        for (const record of records) {
            if (record.type === 'attributes') {
                follow(record.target);
            } else {
                record.addedNodes.forEach(find);
            }
        }
    });
    observer.observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-preview-src'] });
    observers.set(root, observer);
    find(root);
}

export function stopPreviews(root) {
    observers.get(root)?.disconnect();
    observers.delete(root);
}

function find(node) {
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    if (node.matches('img[data-preview-src]')) follow(node);
    node.querySelectorAll('img[data-preview-src]').forEach(follow);
}

function follow(img) {
    let state = previews.get(img);
    if (!state) {
        state = { loading: null, shown: null };
        previews.set(img, state);
        img.addEventListener('load', () => loaded(img, state, true));
        img.addEventListener('error', () => loaded(img, state, false));
    }
    const wanted = img.getAttribute('data-preview-src');
    if (state.loading || !wanted || wanted === state.shown) return;
    state.loading = wanted;
    img.src = wanted; // the picture keeps showing the previous frame until this one has loaded
}

function loaded(img, state, ok) {
    const url = state.loading;
    state.loading = null;
    state.shown = url;
    if (ok && url) {
        img.setAttribute('data-preview-sequence', new URL(url, document.baseURI).searchParams.get('v'));
    }
    follow(img);
}

export function notifying() {
    return localStorage.getItem(key) === 'on';
}

// Returns the notification permission after asking (asking needs the click that switched it on).
export async function setNotifying(on) {
    localStorage.setItem(key, on ? 'on' : 'off');
    if (!on || !('Notification' in window)) {
        return 'Notification' in window ? Notification.permission : 'unsupported';
    }
    if (Notification.permission === 'default') {
        try {
            return await Notification.requestPermission();
        } catch {
            return Notification.permission;
        }
    }
    return Notification.permission;
}

export function jobFinished(title, body, icon) {
    if (!notifying() || !document.hidden) {
        return;
    }
    if ('Notification' in window && Notification.permission === 'granted') {
        const n = new Notification(title, { body, icon: icon ?? undefined, tag: 'dreamlayer-job' });
        n.onclick = () => { window.focus(); n.close(); };
    }
    beep();
}

// Two short soft tones: heard even where notifications are not allowed.
function beep() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
        const audio = new Context();
        const gain = audio.createGain();
        gain.gain.value = 0.08;
        gain.connect(audio.destination);
        [[660, 0], [880, 0.16]].forEach(([freq, at]) => {
            const tone = audio.createOscillator();
            tone.frequency.value = freq;
            tone.connect(gain);
            tone.start(audio.currentTime + at);
            tone.stop(audio.currentTime + at + 0.12);
        });
        setTimeout(() => audio.close(), 600);
    } catch {
        // No audio output: the notification (if any) is enough.
    }
}
