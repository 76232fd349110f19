// The "notify me when done" switch: kept in this browser; a notification and a short sound when a job finishes
// while the tab is hidden.
const key = 'dreamlayer.notify';

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
