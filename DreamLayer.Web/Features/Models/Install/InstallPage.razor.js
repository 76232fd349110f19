// Posts the chosen file as the request body (streamed by the browser, never through the Blazor circuit) and reports
// progress from XMLHttpRequest's upload events, at most five times a second.
let current = null;

export function fileName(input) {
    return input.files && input.files.length ? input.files[0].name : null;
}

export function upload(input, url, token, dotnet) {
    const file = input.files && input.files[0];
    if (!file || current) {
        return false;
    }
    const xhr = new XMLHttpRequest();
    current = xhr;
    xhr.open('POST', url);
    xhr.setRequestHeader('RequestVerificationToken', token || '');
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    let last = 0;
    xhr.upload.onprogress = e => {
        const now = Date.now();
        if (now - last >= 200 || e.loaded === e.total) {
            last = now;
            dotnet.invokeMethodAsync('OnUploadProgress', e.loaded, e.total);
        }
    };
    const end = (status, text) => {
        current = null;
        dotnet.invokeMethodAsync('OnUploadEnded', status, text);
    };
    xhr.onload = () => end(xhr.status, xhr.responseText);
    xhr.onerror = () => end(0, 'The upload stopped: the connection to the app was lost. Nothing was installed.');
    xhr.onabort = () => end(-1, 'Upload cancelled. Nothing was installed.');
    xhr.send(file);
    return true;
}

export function cancel() {
    if (current) {
        current.abort();
    }
}
