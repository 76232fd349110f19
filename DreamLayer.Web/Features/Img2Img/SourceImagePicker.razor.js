// Drop an image anywhere on the page, or paste one, and it goes through the source picker's own file input, so it is
// checked exactly like a chosen file.
export function listen(inputId, overlay) {
    const input = () => document.getElementById(inputId);
    const hasFiles = e => Array.from(e.dataTransfer?.types ?? []).includes('Files');
    let depth = 0;
    const show = on => { overlay.hidden = !on; };

    const use = files => {
        const target = input();
        const image = Array.from(files).find(f => f.type.startsWith('image/')) ?? files[0];
        if (!target || !image) return false;
        const transfer = new DataTransfer();
        transfer.items.add(image);
        target.files = transfer.files;
        target.dispatchEvent(new Event('change', { bubbles: true }));
        return true;
    };

    const onDragEnter = e => { if (hasFiles(e)) { depth++; show(true); } };
    const onDragLeave = e => { if (hasFiles(e) && --depth <= 0) { depth = 0; show(false); } };
    const onDragOver = e => {
        if (!hasFiles(e) || e.target === input()) return;
        e.preventDefault(); // lets the page take the drop instead of the browser opening the file
        e.dataTransfer.dropEffect = 'copy';
    };
    const onDrop = e => {
        depth = 0;
        show(false);
        if (!hasFiles(e) || e.target === input()) return; // a drop on the picker itself reaches its input directly
        e.preventDefault();
        use(e.dataTransfer.files);
    };
    const onPaste = e => {
        const files = e.clipboardData?.files;
        if (!files || files.length === 0) return;
        // Text pasted into a field stays text; a picture on the clipboard becomes the source.
        const editable = e.target instanceof Element && e.target.closest('input, textarea, [contenteditable="true"]');
        if (editable && e.clipboardData.types.includes('text/plain')) return;
        if (use(files)) e.preventDefault();
    };

    document.addEventListener('dragenter', onDragEnter);
    document.addEventListener('dragleave', onDragLeave);
    document.addEventListener('dragover', onDragOver);
    document.addEventListener('drop', onDrop);
    document.addEventListener('paste', onPaste);
    return {
        stop() {
            document.removeEventListener('dragenter', onDragEnter);
            document.removeEventListener('dragleave', onDragLeave);
            document.removeEventListener('dragover', onDragOver);
            document.removeEventListener('drop', onDrop);
            document.removeEventListener('paste', onPaste);
        },
    };
}
