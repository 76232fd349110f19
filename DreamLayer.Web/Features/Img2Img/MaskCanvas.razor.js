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

    canvas.addEventListener('pointerdown', e => {
        if (e.button !== 0) return;
        e.preventDefault();
        canvas.setPointerCapture(e.pointerId);
        brush.last = at(e);
        stroke(brush.last, brush.last);
    });
    canvas.addEventListener('pointermove', e => {
        if (!brush.last) return;
        const p = at(e);
        stroke(brush.last, p);
        brush.last = p;
    });
    const end = () => { brush.last = null; };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
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
