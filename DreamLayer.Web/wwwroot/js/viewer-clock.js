// The viewer's time zone and how their locale writes a date and a time, as .NET custom format patterns built from
// Intl's own formatting (numbers only: the server has no locale data, so month names are left out).
const sample = new Date(Date.UTC(2026, 0, 2, 15, 4, 5));

function pattern(options) {
    const format = new Intl.DateTimeFormat(undefined, options);
    const twelveHours = ['h11', 'h12'].includes(format.resolvedOptions().hourCycle);
    return format.formatToParts(sample).map(part => {
        switch (part.type) {
            case 'year': return 'yyyy';
            case 'month': return 'MM';
            case 'day': return 'dd';
            case 'hour': return twelveHours ? 'hh' : 'HH';
            case 'minute': return 'mm';
            case 'second': return 'ss';
            case 'dayPeriod': return 'tt';
            case 'literal': return "'" + part.value.replace(/['\\]/g, '') + "'";
            default: return '';
        }
    }).join('');
}

export function read() {
    const date = { year: 'numeric', month: '2-digit', day: '2-digit' };
    const time = { hour: '2-digit', minute: '2-digit' };
    return {
        timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC',
        dateTime: pattern({ ...date, ...time }),
        date: pattern(date),
        time: pattern(time),
        timeWithSeconds: pattern({ ...time, second: '2-digit' }),
    };
}
