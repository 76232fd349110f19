// Paints an inpainting mask on a canvas the size of the image. Painted pixels are opaque, the rest transparent.
const brushes = new WeakMap();
const colour = 'rgb(255, 0, 0)';

export async function init(canvas, size, maskUrl) {
    const brush = { size, erase: false, last: null };
    brushes.set(canvas, brush);

    // Pointer position in image pixels: the canvas is shown scaled to the page.
    const at = e => {
        const r = canvas.getBoundingClientRect();
        return { x: (e.clientX - r.left) * canvas.width / r.width, y: (e.clientY - r.top) * canvas.height / r.height };
    };
    const stroke = (from, to) => {
        const ctx = canvas.getContext('2d');
        ctx.globalCompositeOperation = brush.erase ? 'destination-out' : 'source-over';
        ctx.strokeStyle = ctx.fillStyle = colour;
        ctx.lineWidth = brush.size;
        ctx.lineCap = ctx.lineJoin = 'round';
        ctx.beginPath();
        if (from.x === to.x && from.y === to.y) {
            ctx.arc(to.x, to.y, brush.size / 2, 0, 2 * Math.PI);
            ctx.fill();
        } else {
            ctx.moveTo(from.x, from.y);
            ctx.lineTo(to.x, to.y);
            ctx.stroke();
        }
    };

    // Mouse, pen and finger alike (pointer events); one pointer paints at a time, so a second finger does not draw.
    canvas.addEventListener('pointerdown', e => {
        if (e.button !== 0 || brush.pointer !== undefined) return;
        e.preventDefault();
        try {
            canvas.setPointerCapture(e.pointerId); // keeps the stroke when the finger leaves the canvas
        } catch {
            // A pointer the browser no longer tracks: paint without capture.
        }
        brush.pointer = e.pointerId;
        brush.last = at(e);
        stroke(brush.last, brush.last);
    });
    canvas.addEventListener('pointermove', e => {
        if (!brush.last || e.pointerId !== brush.pointer) return;
        const p = at(e);
        stroke(brush.last, p);
        brush.last = p;
    });
    const end = e => {
        if (e.pointerId !== brush.pointer) return;
        brush.last = null;
        brush.pointer = undefined;
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    // Ctrl+wheel (and a trackpad's pinch, which the browser reports as one) zooms the picture; a plain wheel scrolls.
    canvas.addEventListener('wheel', e => {
        if (!e.ctrlKey) return;
        e.preventDefault();
        zoom(canvas, e.deltaY < 0 ? 1.25 : 0.8);
    }, { passive: false });
    if (maskUrl) {
        await drawMask(canvas, maskUrl);
    }
    canvas.dataset.ready = 'true';
}

// Starts from a stored mask: its opaque pixels are painted, in the brush's colour; a mask that fails to load leaves the canvas empty.
async function drawMask(canvas, url) {
    const picture = new Image();
    picture.src = url;
    try {
        await picture.decode();
    } catch {
        return;
    }
    const ctx = canvas.getContext('2d');
    ctx.drawImage(picture, 0, 0, canvas.width, canvas.height);
    const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const d = image.data;
    for (let i = 0; i < d.length; i += 4) {
        d[i] = 255; d[i + 1] = 0; d[i + 2] = 0;
    }
    ctx.putImageData(image, 0, 0);
}

// Multiplies the zoom by a factor (0: back to fit), between fit and 8x.
export function zoom(canvas, factor) {
    const stage = canvas.parentElement;
    const now = parseFloat(stage.style.getPropertyValue('--dl-zoom')) || 1;
    const next = factor === 0 ? 1 : Math.min(8, Math.max(1, now * factor));
    stage.style.setProperty('--dl-zoom', String(next));
    stage.dataset.zoom = String(next);
}

export function setBrush(canvas, size, erase) {
    const brush = brushes.get(canvas);
    if (brush) {
        brush.size = size;
        brush.erase = erase;
    }
}

export function clear(canvas) {
    canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
}

export function invert(canvas) {
    const ctx = canvas.getContext('2d');
    const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const d = image.data;
    for (let i = 0; i < d.length; i += 4) {
        d[i] = 255; d[i + 1] = 0; d[i + 2] = 0;
        d[i + 3] = 255 - d[i + 3];
    }
    ctx.putImageData(image, 0, 0);
}

// The mask as PNG bytes, read by .NET as a stream (no message-size limit).
export async function exportMask(canvas) {
    const blob = await new Promise(resolve => canvas.toBlob(resolve, 'image/png'));
    return new Uint8Array(await blob.arrayBuffer());
}
