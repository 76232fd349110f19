namespace DreamLayer.Domain.Metadata;

/// <summary>Maps ComfyUI sampler and scheduler names to the labels A1111 writes in its infotext, and back.</summary>
public static class SamplerNames
{
    private static readonly Dictionary<string, string> Samplers = new(StringComparer.Ordinal)
    {
        ["euler"] = "Euler",
        ["euler_ancestral"] = "Euler a",
        ["heun"] = "Heun",
        ["dpm_2"] = "DPM2",
        ["dpm_2_ancestral"] = "DPM2 a",
        ["lms"] = "LMS",
        ["dpm_fast"] = "DPM fast",
        ["dpm_adaptive"] = "DPM adaptive",
        ["dpmpp_2s_ancestral"] = "DPM++ 2S a",
        ["dpmpp_sde"] = "DPM++ SDE",
        ["dpmpp_2m"] = "DPM++ 2M",
        ["dpmpp_2m_sde"] = "DPM++ 2M SDE",
        ["dpmpp_2m_sde_heun"] = "DPM++ 2M SDE Heun",
        ["dpmpp_3m_sde"] = "DPM++ 3M SDE",
        ["ddim"] = "DDIM",
        ["uni_pc"] = "UniPC",
        ["lcm"] = "LCM",
    };

    private static readonly Dictionary<string, string> Schedulers = new(StringComparer.Ordinal)
    {
        ["simple"] = "Simple",
        ["sgm_uniform"] = "SGM Uniform",
        ["karras"] = "Karras",
        ["exponential"] = "Exponential",
        ["ddim_uniform"] = "DDIM",
        ["beta"] = "Beta",
        ["normal"] = "Normal",
        ["kl_optimal"] = "KL Optimal",
    };

    private static readonly Dictionary<string, string> SamplersBack = Samplers.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
    private static readonly Dictionary<string, string> SchedulersBack = Schedulers.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    /// <summary>The A1111 "Sampler" and "Schedule type" labels; a name without an A1111 label is returned unchanged.</summary>
    public static (string Sampler, string ScheduleType) ToA1111(string sampler, string scheduler) =>
        (SamplerToA1111(sampler), SchedulerToA1111(scheduler));

    public static string SamplerToA1111(string sampler)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        return Samplers.GetValueOrDefault(sampler, sampler);
    }

    public static string SchedulerToA1111(string scheduler)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        return Schedulers.GetValueOrDefault(scheduler, scheduler);
    }

    /// <summary>The ComfyUI scheduler for an A1111 "Schedule type" label: a missing or "Automatic" one is "normal", an unknown label comes back unchanged.</summary>
    public static string SchedulerFromA1111(string? scheduleType) =>
        scheduleType is null or "Automatic" ? "normal" : SchedulersBack.GetValueOrDefault(scheduleType, scheduleType);

    /// <summary>
    /// The ComfyUI names for A1111 labels. Understands the older combined form ("DPM++ 2M Karras") too. A label
    /// without a ComfyUI equivalent is returned unchanged; a missing or "Automatic" schedule type becomes "normal".
    /// </summary>
    public static (string Sampler, string Scheduler) FromA1111(string sampler, string? scheduleType = null)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        var scheduler = SchedulerFromA1111(scheduleType);
        if (SamplersBack.TryGetValue(sampler, out var comfy))
        {
            return (comfy, scheduler);
        }
        foreach (var (label, name) in SchedulersBack)
        {
            if (sampler.EndsWith(" " + label, StringComparison.Ordinal) && SamplersBack.TryGetValue(sampler[..^(label.Length + 1)], out var s))
            {
                return (s, scheduleType is null or "Automatic" ? name : scheduler);
            }
        }
        return (sampler, scheduler);
    }
}
