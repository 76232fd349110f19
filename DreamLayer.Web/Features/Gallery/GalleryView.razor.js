// How many thumbnail columns fit the grid's width; tells the page again whenever that width changes (the window, the
// navigation drawer opening or closing). Cells shrink a little to fit (app.css, .dl-cell), so a phone gets two columns.
const gap = 8;
const minimumCell = 140;

function columnsFor(element, cellWidth) {
    const width = element.clientWidth;
    const fit = Math.floor((width + gap) / cellWidth);
    const shrunk = Math.floor((width + gap) / (minimumCell + gap));
    return Math.max(1, fit, Math.min(2, shrunk));
}

export function watchColumns(element, cellWidth, dotnet) {
    let last = columnsFor(element, cellWidth);
    let timer = 0;
    const observer = new ResizeObserver(() => {
        clearTimeout(timer);
        timer = setTimeout(() => {
            const now = columnsFor(element, cellWidth);
            if (now !== last) {
                last = now;
                dotnet.invokeMethodAsync('SetColumns', now);
            }
        }, 100);
    });
    observer.observe(element);
    element.__dlStopColumns = () => {
        clearTimeout(timer);
        observer.disconnect();
    };
    return last;
}

export function stopColumns(element) {
    element?.__dlStopColumns?.();
}
