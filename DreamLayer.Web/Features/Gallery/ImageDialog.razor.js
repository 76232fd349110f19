export async function copyText(text) {
    try {
        await navigator.clipboard.writeText(text);
        return true;
    } catch {
        return false;
    }
}

// Left/right arrows move through the images while the dialog is open (not while typing in a field or on a slider).
const listeners = new Map();

export function listenArrows(key, dotnet) {
    const onKey = e => {
        if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
        if (e.target instanceof Element && e.target.closest('input, textarea, select, [contenteditable="true"], [role="slider"]')) return;
        const by = e.key === 'ArrowLeft' ? -1 : e.key === 'ArrowRight' ? 1 : 0;
        if (by !== 0) {
            e.preventDefault();
            dotnet.invokeMethodAsync('MoveAsync', by);
        }
    };
    document.addEventListener('keydown', onKey, true); // before the dialog's own key handling
    listeners.set(key, onKey);
}

export function stopArrows(key) {
    const onKey = listeners.get(key);
    if (onKey) {
        document.removeEventListener('keydown', onKey, true);
        listeners.delete(key);
    }
}
