using System.Text;
using DreamLayer.Domain.Metadata;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>PNG Info on files written by more tools: A1111's stealth PNG info, Fooocus, NovelAI and InvokeAI 1.x.</summary>
public sealed class MoreToolsMetadataTests
{
    private const string Infotext = "a lighthouse, storm\nNegative prompt: blurry\nSteps: 24, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 987654321, Size: 96x80, Model: dreamshaper_8, Version: v1.10.1";

    private static ImageMetadata ReadTestData(string name) => ImageMetadataReader.Read(File.ReadAllBytes(TestPaths.TestFile("metadata", name)));

    private static KeyValuePair<string, string> P(string key, string value) => new(key, value);

    [Fact]
    public void Read_A1111StealthPngInfoFile_ReadsTheGzippedAlphaBits()
    {
        var result = ReadTestData("a1111_stealth_pngcomp.png");

        Assert.Empty(result.Problems);
        var g = Assert.IsType<GenerationMetadata>(result.Generation);
        Assert.Equal((MetadataTool.A1111, "AUTOMATIC1111 web UI v1.9.4-169-ga30b19dd, stealth PNG info"), (g.Tool, g.ToolLabel));
        Assert.Equal(("a circle", "a square"), (g.Prompt, g.NegativePrompt));
        Assert.Equal((20, "euler", "normal", 7.0, 2015833630UL, 64, 64), (g.Steps, g.Sampler, g.Scheduler, g.Cfg, g.Seed, g.Width, g.Height));
        Assert.Equal(("realisticVisionV51_v51VAE", "15012c538f", "2"), (g.Model, g.ModelHash, g["Clip skip"]));
        var hidden = Assert.Single(result.Texts);
        Assert.Equal(("parameters", "PNG alpha channel (stealth_pngcomp)"), (hidden.Key, hidden.Where));
    }

    [Theory]
    [InlineData(true, false, false, "PNG alpha channel (stealth_pnginfo)")]
    [InlineData(true, false, true, "PNG alpha channel (stealth_pngcomp)")]
    [InlineData(false, true, false, "PNG RGB channels (stealth_rgbinfo)")]
    [InlineData(false, true, true, "PNG RGB channels (stealth_rgbcomp)")]
    [InlineData(true, true, true, "PNG RGB channels (stealth_rgbcomp)")]
    public void Read_StealthPngInfoInEveryMode_IsRead(bool hasAlpha, bool rgbMode, bool compressed, string where)
    {
        // 96×80 with the data spread over several columns (8 bits a byte, 1 or 3 a pixel, 80 a column).
        var png = StealthPng.Build(96, 80, hasAlpha, rgbMode, compressed, Infotext);

        var result = ImageMetadataReader.Read(png);

        Assert.Empty(result.Problems);
        Assert.Equal(Infotext, Assert.Single(result.Texts, t => t.Where == where).Text);
        Assert.Equal(("a lighthouse, storm", "blurry", 24, "dpmpp_2m", "karras", 987654321UL), (result.Generation?.Prompt, result.Generation?.NegativePrompt,
            result.Generation?.Steps, result.Generation?.Sampler, result.Generation?.Scheduler, result.Generation?.Seed));
    }

    [Fact]
    public void Read_StealthPngInfoIn16BitPicture_IsReadFromTheHighBytes()
    {
        var png = StealthPng.Build(40, 300, hasAlpha: true, rgbMode: false, compressed: true, Infotext, bitDepth: 16);

        Assert.Equal("a lighthouse, storm", ImageMetadataReader.Read(png).Generation?.Prompt);
    }

    [Fact]
    public void Read_TextChunkAndStealthInfo_TheChunkWinsAsInA1111()
    {
        var png = PngTextChunks.AddText(StealthPng.Build(96, 80, true, false, true, Infotext), [("parameters", "from the chunk\nSteps: 5, Sampler: Euler, CFG scale: 3, Seed: 1, Size: 96x80")]);

        var result = ImageMetadataReader.Read(png);

        Assert.Equal(("from the chunk", "AUTOMATIC1111 web UI (A1111-style parameters)"), (result.Generation?.Prompt, result.Generation?.ToolLabel));
        Assert.Single(result.Texts);
    }

    [Fact]
    public void Read_OrdinaryPictureWithoutSignature_HasNoGenerationDataAndNoProblem()
    {
        var png = StealthPng.Build(64, 200, hasAlpha: true, Array.Empty<bool>(), rgbMode: false);

        var result = ImageMetadataReader.Read(png);

        Assert.Null(result.Generation);
        Assert.Empty(result.Problems);
    }

    [Fact]
    public void Read_StealthLengthOverTheLimit_IsRefusedInWords()
    {
        var bits = StealthPng.Bits(StealthPng.Payload(rgbMode: false, compressed: false, "x"u8.ToArray(), claimedBits: (1024 * 1024 + 1L) * 8));
        var png = StealthPng.Build(8, 200, hasAlpha: true, bits, rgbMode: false);

        var result = ImageMetadataReader.Read(png);

        Assert.Null(result.Generation);
        Assert.Equal(["The PNG alpha channel (stealth_pnginfo) says it hides 1,048,577 bytes of parameters, more than the limit of 1 MiB; they were not read."], result.Problems);
    }

    [Fact]
    public void Read_StealthGzipBomb_StopsAtTheTextLimit()
    {
        // 64 MiB of zeros gzip to about 64 KiB; signed as compressed, the gzip bytes are the hidden data.
        var payload = StealthPng.Payload(rgbMode: false, compressed: false, StealthPng.Gzip(new byte[64 * 1024 * 1024]));
        Encoding.ASCII.GetBytes("stealth_pngcomp").CopyTo(payload, 0);
        var png = StealthPng.Build(1024, 1024, hasAlpha: true, StealthPng.Bits(payload), rgbMode: false);

        var result = ImageMetadataReader.Read(png, maxTextBytes: 1024 * 1024);

        Assert.Null(result.Generation);
        Assert.Equal(["The parameters hidden in the PNG alpha channel (stealth_pngcomp) decompress to more than 1 MiB; they were not read."], result.Problems);
    }

    [Fact]
    public void Read_StealthDataLongerThanThePicture_SaysSo()
    {
        var bits = StealthPng.Bits(StealthPng.Payload(rgbMode: false, compressed: false, new byte[400]));
        var png = StealthPng.Build(10, 100, hasAlpha: true, bits, rgbMode: false);

        var result = ImageMetadataReader.Read(png);

        Assert.Equal(["The PNG alpha channel (stealth_pnginfo) hides parameters that the picture ends before (or the picture data is damaged); they were not read."], result.Problems);
    }

    [Fact]
    public void Read_LargeStealthPicture_KeepsOnlyTheColumnsItNeeds()
    {
        // 4096×4096 RGBA is 64 MiB of pixels (16 MiB even at a byte a pixel); the reader keeps the low bits of the columns
        // that can hold 1 MiB of data (about 8 MiB).
        var payload = StealthPng.Payload(rgbMode: false, compressed: false, Encoding.UTF8.GetBytes(Infotext));
        var png = LargeStealthPng.Build(4096, 4096, StealthPng.Bits(payload));
        var before = GC.GetAllocatedBytesForCurrentThread();

        var result = ImageMetadataReader.Read(png);

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("a lighthouse, storm", result.Generation?.Prompt);
        Assert.InRange(allocated, 0, 12L * 1024 * 1024);
    }

    [Fact]
    public void Read_VeryTallPicture_KeepsOnlyTheTopOfTheFirstColumn()
    {
        // One pixel wide and said to be 200 million rows tall (the data holds the first 2,000): a byte a row would be 200 MB.
        var payload = StealthPng.Payload(rgbMode: false, compressed: false, Encoding.UTF8.GetBytes(Infotext));
        var png = LargeStealthPng.Build(1, 2_000, StealthPng.Bits(payload), claimedHeight: 200_000_000);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var result = ImageMetadataReader.Read(png);

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("a lighthouse, storm", result.Generation?.Prompt);
        Assert.InRange(allocated, 0, 12L * 1024 * 1024);
    }

    [Fact]
    public void Read_FooocusJsonScheme_ShowsItsParametersByName()
    {
        var g = ReadTestData("fooocus_scheme_fooocus.png").Generation;

        Assert.NotNull(g);
        Assert.Equal((MetadataTool.Fooocus, "Fooocus v2.4.3 (fooocus scheme)"), (g.Tool, g.ToolLabel));
        Assert.StartsWith("cinematic still a smiling goldfish . emotional, harmonious", g.Prompt, StringComparison.Ordinal);
        Assert.EndsWith(", a smiling goldfish, deep focus, intricate, elegant, highly detailed, cinematic, still, dynamic background, professional fine composition, ambient light, magic, vivid colors, creative, positive, attractive, glossy, shiny, colorful, strong, sharp, heroic, awesome, determined, cute, epic, stunning, gorgeous, amazing, symmetry, great, perfect, excellent, complex", g.Prompt, StringComparison.Ordinal);
        Assert.EndsWith("anime, cartoon, graphic, (blur, blurry, bokeh), text, painting, crayon, graphite, abstract, glitch, deformed, mutated, ugly, disfigured", g.NegativePrompt, StringComparison.Ordinal);
        Assert.Equal((30, "dpmpp_2m_sde_gpu", "karras", 4.0, 6952411511246973023UL, 768, 1280), (g.Steps, g.Sampler, g.Scheduler, g.Cfg, g.Seed, g.Width, g.Height));
        Assert.Equal(("juggernautXL_v8Rundiffusion", "aeb7e9e689"), (g.Model, g.ModelHash));
        Assert.Equal(
            [P("Steps", "30"), P("Sampler", "dpmpp_2m_sde_gpu"), P("Scheduler", "karras"), P("Guidance scale", "4"), P("Seed", "6952411511246973023"),
             P("Size", "768x1280"), P("Base model", "juggernautXL_v8Rundiffusion"), P("Base model hash", "aeb7e9e689"), P("Performance", "Speed"),
             P("Styles", "Fooocus V2, Fooocus Enhance, Fooocus Sharp"), P("Sharpness", "2"), P("ADM guidance", "(1.5, 0.8, 0.3)"), P("VAE", "Default (model)"),
             P("Clip skip", "2"), P("Prompt as typed", "a smiling goldfish"), P("Fooocus V2 expansion", g["Fooocus V2 expansion"]!), P("Version", "Fooocus v2.4.3")],
            g.Parameters);
    }

    [Fact]
    public void Read_FooocusA1111Scheme_IsFooocusWithItsSchedulerAndLoras()
    {
        var g = ReadTestData("fooocus_scheme_a1111.png").Generation;

        Assert.NotNull(g);
        Assert.Equal((MetadataTool.Fooocus, "Fooocus v2.5.5 (a1111 scheme)"), (g.Tool, g.ToolLabel));
        Assert.StartsWith("cinematic still A lighthouse on a cliff at dusk . emotional", g.Prompt, StringComparison.Ordinal);
        Assert.Equal((30, "dpmpp_2m_sde", "karras", 4.0, 127589946317439009UL, 512, 512), (g.Steps, g.Sampler, g.Scheduler, g.Cfg, g.Seed, g.Width, g.Height));
        Assert.Equal(("juggernautXL_v8Rundiffusion", "aeb7e9e689"), (g.Model, g.ModelHash));
        Assert.Equal([new LoraUse("sd_xl_offset_example-lora_1.0", 0.1, null, "4852686128")], g.Loras);
        Assert.Equal(("Speed", "2", "A lighthouse on a cliff at dusk"), (g["Performance"], g["Sharpness"], g["Raw prompt"]));
    }

    [Fact]
    public void Read_NovelAiFile_ReadsDescriptionCommentAndSource()
    {
        var g = ReadTestData("novelai.png").Generation;

        Assert.NotNull(g);
        Assert.Equal((MetadataTool.NovelAI, "NovelAI (Stable Diffusion 1D44365E)"), (g.Tool, g.ToolLabel));
        Assert.Equal("masterpiece, best quality,  cat, space, icon", g.Prompt);
        Assert.StartsWith("lowres, bad anatomy, bad hands, text, error", g.NegativePrompt, StringComparison.Ordinal);
        Assert.Equal((50, "euler_ancestral", 10.0, 2253955223UL), (g.Steps, g.Sampler, g.Cfg, g.Seed));
        Assert.Equal(("Stable Diffusion", "1D44365E"), (g.Model, g.ModelHash));
        Assert.Null(g.Denoise);
        Assert.Equal(
            ["Source", "steps", "sampler", "seed", "strength", "noise", "scale", "uc"],
            g.Parameters.Select(p => p.Key));
        Assert.Equal(("0.4", "0.0"), (g["strength"], g["noise"]));
    }

    [Fact]
    public void Read_NovelAiImg2ImgComment_TakesItsStrength()
    {
        var png = PngTextChunks.AddText(File.ReadAllBytes(PngBytes.Metadata("bad_no_metadata.png")),
            [("Description", "a fox"), ("Software", "NovelAI"), ("Source", "Stable Diffusion XL C1E1DE52"),
             ("Comment", """{"prompt": "a fox", "steps": 28, "height": 1216, "width": 832, "scale": 5.0, "uncond_scale": 1.0, "cfg_rescale": 0.0, "seed": 42, "n_samples": 1, "strength": 0.7, "noise": 0.1, "noise_schedule": "karras", "request_type": "Img2ImgRequest", "sampler": "k_dpmpp_2m", "uc": "lowres"}""")]);

        var g = ImageMetadataReader.Read(png).Generation;

        Assert.NotNull(g);
        Assert.Equal(("a fox", "lowres", 28, "dpmpp_2m", "karras", 832, 1216, 0.7), (g.Prompt, g.NegativePrompt, g.Steps, g.Sampler, g.Scheduler, g.Width, g.Height, g.Denoise));
        Assert.Equal(("Stable Diffusion XL", "C1E1DE52"), (g.Model, g.ModelHash));
    }

    [Fact]
    public void Read_InvokeAi1DreamFile_NamesEverySwitchWithAllItsValues()
    {
        var g = ReadTestData("invokeai_dream.png").Generation;

        Assert.NotNull(g);
        Assert.Equal("rendering, glowing eyes, skinny", g.NegativePrompt);
        Assert.StartsWith("professional full body photo of young woman", g.Prompt, StringComparison.Ordinal);
        Assert.Equal((50, 2980747362UL, 512, 768, 5.0, "lms"), (g.Steps, g.Seed, g.Width, g.Height, g.Cfg, g.Sampler));
        Assert.Equal(
            [P("Steps", "50"), P("Seed", "2980747362"), P("Width", "512"), P("Height", "768"), P("CFG scale", "5"), P("Sampler", "k_lms"),
             P("Face restoration strength", "0.9"), P("CodeFormer fidelity", "0.75"), P("Upscale", "4× (strength 0.95)")],
            g.Parameters);
    }

    [Fact]
    public void Read_InvokeAi2DreamWithoutQuotes_ReadsImg2ImgAndFlags()
    {
        var png = PngTextChunks.AddText(File.ReadAllBytes(PngBytes.Metadata("bad_no_metadata.png")),
            [("Dream", "a castle on a hill [fog] -s 30 -S 77 -W 512 -H 512 -C 7.5 --seamless --hires_fix -I outputs/init.png -A k_euler_a -f 0.6 -G 0.8 -ft codeformer -cf 0.5 -U 2")]);

        var g = ImageMetadataReader.Read(png).Generation;

        Assert.NotNull(g);
        Assert.Equal(("a castle on a hill", "fog", 30, "euler_ancestral", 0.6), (g.Prompt, g.NegativePrompt, g.Steps, g.Sampler, g.Denoise));
        Assert.Equal(("yes", "yes", "outputs/init.png", "codeformer", "2× (strength 0.75, the default)"), (g["Seamless"], g["Hires fix"], g["Init image"], g["Face restoration"], g["Upscale"]));
    }
}
