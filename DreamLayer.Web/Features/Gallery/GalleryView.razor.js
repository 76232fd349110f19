// How many thumbnail columns fit the grid's width; tells the page again when the window is resized.
export function watchColumns(element, cellWidth, dotnet) {
    const columns = () => Math.max(1, Math.floor(element.clientWidth / cellWidth));
    let last = columns();
    let timer = 0;
    const onResize = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
            const now = columns();
            if (now !== last) {
                last = now;
                dotnet.invokeMethodAsync('SetColumns', now);
            }
        }, 150);
    };
    window.addEventListener('resize', onResize);
    element.__dlStopColumns = () => window.removeEventListener('resize', onResize);
    return last;
}

export function stopColumns(element) {
    element?.__dlStopColumns?.();
}
