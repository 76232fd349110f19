using System.Text;
using DreamLayer.Domain.Metadata;
using static DreamLayer.Web.Tests.Domain.PngBytes;

namespace DreamLayer.Web.Tests.Domain;

public sealed class ImageMetadataReaderTests
{
    private const string DuckInfotext = "photo of a duck\nNegative prompt: monochrome\nSteps: 15, Sampler: UniPC, CFG scale: 5, Seed: 235284042, Size: 512x400, Model hash: c0d1994c73, Model: realistic_realisticVisionV20_v20";

    private static ImageMetadata ReadFile(string path) => ImageMetadataReader.Read(File.ReadAllBytes(path));

    private static KeyValuePair<string, string> P(string key, string value) => new(key, value);

    [Theory]
    [InlineData("a1111.png", ImageFileFormat.Png)]
    [InlineData("a1111.jpg", ImageFileFormat.Jpeg)]
    [InlineData("text_after_idat_ztxt.png", ImageFileFormat.Png)]
    public void Read_A1111Fixtures_YieldEveryParameter(string file, ImageFileFormat format)
    {
        var result = ReadFile(Metadata(file));

        Assert.Equal(format, result.Format);
        Assert.Empty(result.Problems);
        var g = Assert.IsType<GenerationMetadata>(result.Generation);
        Assert.Equal(MetadataTool.A1111, g.Tool);
        Assert.Equal("photo of a duck", g.Prompt);
        Assert.Equal("monochrome", g.NegativePrompt);
        Assert.Equal(15, g.Steps);
        Assert.Equal(("uni_pc", "normal"), (g.Sampler, g.Scheduler));
        Assert.Equal(5, g.Cfg);
        Assert.Equal(235284042UL, g.Seed);
        Assert.Equal((512, 400), (g.Width, g.Height));
        Assert.Equal("c0d1994c73", g.ModelHash);
        Assert.Equal("realistic_realisticVisionV20_v20", g.Model);
        Assert.Null(g.Denoise);
        Assert.Empty(g.Loras);
        Assert.Equal(
            [P("Steps", "15"), P("Sampler", "UniPC"), P("CFG scale", "5"), P("Seed", "235284042"), P("Size", "512x400"), P("Model hash", "c0d1994c73"), P("Model", "realistic_realisticVisionV20_v20")],
            g.Parameters);
    }

    [Fact]
    public void Read_A1111Jpeg_KeepsTheRawUserComment()
    {
        var result = ReadFile(Metadata("a1111.jpg"));

        var text = Assert.Single(result.Texts);
        Assert.Equal(new MetadataText("UserComment", DuckInfotext, "EXIF UserComment"), text);
    }

    [Fact]
    public void Read_UserCommentInLittleEndianUtf16_IsDecoded()
    {
        var jpeg = File.ReadAllBytes(Metadata("a1111.jpg"));
        var start = jpeg.AsSpan().IndexOf("UNICODE\0"u8) + 8;
        var end = jpeg.AsSpan().IndexOf((byte[])[0xFF, 0xDB]);
        for (var i = start; i + 1 < end; i += 2)
        {
            (jpeg[i], jpeg[i + 1]) = (jpeg[i + 1], jpeg[i]);
        }

        var g = ImageMetadataReader.Read(jpeg).Generation;

        Assert.Equal("photo of a duck", g?.Prompt);
        Assert.Equal(235284042UL, g?.Seed);
    }

    [Fact]
    public void Read_ComfyUiImg2ImgFixture_TracesTheSampler()
    {
        var result = ReadFile(Metadata("comfyui_img2img.png"));

        var g = Assert.IsType<GenerationMetadata>(result.Generation);
        Assert.Equal(MetadataTool.ComfyUI, g.Tool);
        Assert.Equal("ComfyUI (prompt and workflow)", g.ToolLabel);
        Assert.Equal("photograph of victorian woman with wings, sky clouds, meadow grass\n", g.Prompt);
        Assert.Equal("watermark, text\n", g.NegativePrompt);
        Assert.Equal(20, g.Steps);
        Assert.Equal(("dpmpp_2m", "normal"), (g.Sampler, g.Scheduler));
        Assert.Equal(8, g.Cfg);
        Assert.Equal(280823642470253UL, g.Seed);
        Assert.Equal(0.8700000000000001, g.Denoise);
        Assert.Equal("v1-5-pruned-emaonly.ckpt", g.Model);
        Assert.Null(g.Width);
        Assert.Equal(
            [P("Steps", "20"), P("Sampler", "sample_dpmpp_2m"), P("Scheduler", "normal"), P("CFG scale", "8.0"), P("Seed", "280823642470253"),
             P("Model", "v1-5-pruned-emaonly.ckpt"), P("Denoise", "0.8700000000000001"), P("Init image", "example.png")],
            g.Parameters);
    }

    [Fact]
    public void Read_ComfyUiImg2ImgExample_TracesTheSampler()
    {
        var g = ReadFile(Fixture("comfyui-png", "img2img_workflow.png")).Generation;

        Assert.NotNull(g);
        Assert.Equal(("photograph of victorian woman with wings, sky clouds, meadow grass\n", "watermark, text\n"), (g.Prompt, g.NegativePrompt));
        Assert.Equal((20, "dpmpp_2m", "normal", 8.0, 280823642470253UL), (g.Steps, g.Sampler, g.Scheduler, g.Cfg, g.Seed));
        Assert.Equal((0.8700000000000001, "v1-5-pruned-emaonly.ckpt"), (g.Denoise, g.Model));
        Assert.Equal("example.png", g["Init image"]);
    }

    [Fact]
    public void Read_ComfyUiLoraExample_FindsLoraAndCheckpointBehindIt()
    {
        var g = ReadFile(Fixture("comfyui-png", "lora.png")).Generation;

        Assert.NotNull(g);
        Assert.Equal(("masterpiece best quality girl", "bad hands"), (g.Prompt, g.NegativePrompt));
        Assert.Equal((20, "euler", "normal", 8.0, 851616030078638UL, 1.0), (g.Steps, g.Sampler, g.Scheduler, g.Cfg, g.Seed, g.Denoise));
        Assert.Equal((512, 512), (g.Width, g.Height));
        Assert.Equal("v1-5-pruned-emaonly.ckpt", g.Model);
        Assert.Equal([new LoraUse("epiNoiseoffset_v2.safetensors", 1.0, 1.0)], g.Loras);
        Assert.Equal(
            [P("Steps", "20"), P("Sampler", "euler"), P("Scheduler", "normal"), P("CFG scale", "8.0"), P("Seed", "851616030078638"), P("Size", "512x512"),
             P("Batch size", "1"), P("Model", "v1-5-pruned-emaonly.ckpt"), P("Denoise", "1.0"), P("LoRA", "epiNoiseoffset_v2.safetensors (model 1, clip 1)")],
            g.Parameters);
    }

    [Fact]
    public void Read_ComfyUiSdxlRefinerExample_UsesTheBaseSamplerAndNamesTheRefiner()
    {
        var g = ReadFile(Fixture("comfyui-png", "sdxl_simple_example.png")).Generation;

        Assert.NotNull(g);
        Assert.Equal(("evening sunset scenery blue sky nature, glass bottle with a galaxy in it", "text, watermark"), (g.Prompt, g.NegativePrompt));
        Assert.Equal((25, "euler", "normal", 8.0, 721897303308196UL), (g.Steps, g.Sampler, g.Scheduler, g.Cfg, g.Seed));
        Assert.Equal((1024, 1024), (g.Width, g.Height));
        Assert.Equal("sd_xl_base_1.0.safetensors", g.Model);
        Assert.Null(g.Denoise);
        Assert.Equal(
            [P("Steps", "25"), P("Sampler", "euler"), P("Scheduler", "normal"), P("CFG scale", "8.0"), P("Seed", "721897303308196"), P("Size", "1024x1024"),
             P("Batch size", "1"), P("Model", "sd_xl_base_1.0.safetensors"), P("Start at step", "0"), P("End at step", "20"),
             P("Refiner", "sd_xl_refiner_1.0.safetensors"), P("Refiner switch at", "0.8"), P("Refiner start at step", "20")],
            g.Parameters);
    }

    [Fact]
    public void Read_InvokeAiMetadataFixture_YieldsEveryField()
    {
        var g = ReadFile(Metadata("invokeai_metadata.png")).Generation;

        Assert.NotNull(g);
        Assert.Equal(MetadataTool.InvokeAI, g.Tool);
        Assert.Equal("digital artwork, oil painting. painterly brushstrokes, holidays,", g.Prompt);
        Assert.Equal("grainy+, photo, oversaturated, overexposed, blurry, compressed jpg+, noisy++, unfocused , black and white", g.NegativePrompt);
        Assert.Equal((35, "euler", "normal", 8.0, 3293022630UL), (g.Steps, g.Sampler, g.Scheduler, g.Cfg, g.Seed));
        Assert.Equal((1024, 1024), (g.Width, g.Height));
        Assert.Equal("juggernautXL", g.Model);
        Assert.Equal(
            [
                P("generation_mode", "sdxl_txt2img"),
                P("positive_prompt", "digital artwork, oil painting. painterly brushstrokes, holidays,"),
                P("negative_prompt", "grainy+, photo, oversaturated, overexposed, blurry, compressed jpg+, noisy++, unfocused , black and white"),
                P("width", "1024"), P("height", "1024"), P("seed", "3293022630"), P("rand_device", "cpu"), P("cfg_scale", "8.0"),
                P("cfg_rescale_multiplier", "0.0"), P("steps", "35"), P("scheduler", "euler"),
                P("model.model_name", "juggernautXL"), P("model.base_model", "sdxl"), P("model.model_type", "main"),
                P("ipAdapters[0].image.image_name", "21b3ddb9-089b-49fd-b074-0b9fdac3ab3e.png"),
                P("ipAdapters[0].ip_adapter_model.model_name", "ip-adapter-plus_sdxl_vit-h"), P("ipAdapters[0].ip_adapter_model.base_model", "sdxl"),
                P("ipAdapters[0].weight", "0.45"), P("ipAdapters[0].begin_step_percent", "0.0"), P("ipAdapters[0].end_step_percent", "1.0"),
                P("vae.model_name", "VAEFix"), P("vae.base_model", "sdxl"), P("positive_style_prompt", ""), P("negative_style_prompt", ""),
            ],
            g.Parameters);
    }

    [Theory]
    [InlineData("bad_empty_file.png", ImageFileFormat.Unknown)]
    [InlineData("bad_no_metadata.png", ImageFileFormat.Png)]
    [InlineData("bad_no_metadata.jpg", ImageFileFormat.Jpeg)]
    public void Read_BadFixtures_GiveNoGenerationData(string file, ImageFileFormat format)
    {
        var result = ReadFile(Metadata(file));

        Assert.Equal(format, result.Format);
        Assert.Null(result.Generation);
    }

    [Fact]
    public void Read_EmptyFile_SaysSo()
    {
        Assert.Equal(["The file is empty."], ImageMetadataReader.Read([]).Problems);
    }

    [Fact]
    public void Read_NoMetadataPng_StillListsItsTexts()
    {
        var result = ReadFile(Metadata("bad_no_metadata.png"));

        Assert.Equal(["date:create", "date:modify", "date:timestamp"], result.Texts.Select(t => t.Key));
        Assert.Empty(result.Problems);
    }

    [Fact]
    public void Read_NotAnImage_SaysSo()
    {
        var result = ImageMetadataReader.Read("hello, this is text"u8);

        Assert.Equal(ImageFileFormat.Unknown, result.Format);
        Assert.Null(result.Generation);
        Assert.Equal(["The file is not a PNG, JPEG or WebP image."], result.Problems);
    }

    [Fact]
    public void Read_DreamLayerFile_IsRecognisedAndRoundTrips()
    {
        var written = A1111Infotext.Write(new InfotextParameters("a red fox, snow", "blurry", 28, "dpmpp_2m", "karras", 6.5, 18446744073709551615UL, 832, 1216,
            "sdxl/juggernaut.safetensors", LoraHashes: new Dictionary<string, string> { ["detail"] = "0123456789ab" }));
        var png = PngTextChunks.AddText(File.ReadAllBytes(Metadata("bad_no_metadata.png")), [("prompt", "{}"), ("parameters", written)]);

        var g = ImageMetadataReader.Read(png).Generation;

        Assert.NotNull(g);
        Assert.Equal((MetadataTool.DreamLayer, "a red fox, snow", "blurry"), (g.Tool, g.Prompt, g.NegativePrompt));
        Assert.Equal((28, "dpmpp_2m", "karras", 6.5, 18446744073709551615UL), (g.Steps, g.Sampler, g.Scheduler, g.Cfg, g.Seed));
        Assert.Equal((832, 1216, "sdxl/juggernaut.safetensors"), (g.Width, g.Height, g.Model));
        Assert.Equal([new LoraUse("detail", Hash: "0123456789ab")], g.Loras);
    }

    [Fact]
    public void Read_ForgeVersion_IsForge()
    {
        var png = WithText("parameters", DuckInfotext + ", Version: f2.0.1v1.10.1-previous-313-g8a042934");

        var g = ImageMetadataReader.Read(png).Generation;

        Assert.Equal((MetadataTool.Forge, "Forge f2.0.1v1.10.1-previous-313-g8a042934"), (g?.Tool, g?.ToolLabel));
    }

    [Fact]
    public void Read_A1111PromptLorasAndHashes_AreListed()
    {
        var png = WithText("parameters",
            "a castle <lora:add_detail:0.7> <lora:film:1>\nSteps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1, Size: 512x512, Denoising strength: 0.45, Lora hashes: \"add_detail: 7c6bad76eb54, film: 1a2b3c4d5e6f\", Version: v1.10.1");

        var g = ImageMetadataReader.Read(png).Generation;

        Assert.NotNull(g);
        Assert.Equal((MetadataTool.A1111, "AUTOMATIC1111 web UI v1.10.1"), (g.Tool, g.ToolLabel));
        Assert.Equal(("dpmpp_2m", "karras", 0.45), (g.Sampler, g.Scheduler, g.Denoise));
        Assert.Equal([new LoraUse("add_detail", 0.7, null, "7c6bad76eb54"), new LoraUse("film", 1, null, "1a2b3c4d5e6f")], g.Loras);
    }

    [Fact]
    public void Read_SwarmUiParameters_AreReadFromTheJson()
    {
        const string swarm = """
            {"sui_image_params":{"prompt":"a lighthouse at dusk","negativeprompt":"people","model":"OfficialStableDiffusion/sd_xl_base_1.0","seed":1122334455,"steps":30,
            "cfgscale":6.5,"aspectratio":"1:1","width":1024,"height":1024,"sampler":"dpmpp_2m_sde","scheduler":"karras","loras":["detail_tweaker"],"loraweights":["0.8"],
            "swarm_version":"0.9.2.1","date":"2024-09-01"},"sui_extra_data":{"generation_time":"2.10 (prep) and 9.80 (gen) seconds"},"sui_models":[{"name":"sd_xl_base_1.0.safetensors","param":"model","hash":"0x31e35c80fc"}]}
            """;

        var g = ImageMetadataReader.Read(WithText("parameters", swarm)).Generation;

        Assert.NotNull(g);
        Assert.Equal((MetadataTool.SwarmUI, "SwarmUI 0.9.2.1"), (g.Tool, g.ToolLabel));
        Assert.Equal(("a lighthouse at dusk", "people", "OfficialStableDiffusion/sd_xl_base_1.0"), (g.Prompt, g.NegativePrompt, g.Model));
        Assert.Equal((30, "dpmpp_2m_sde", "karras", 6.5, 1122334455UL, 1024, 1024), (g.Steps, g.Sampler, g.Scheduler, g.Cfg, g.Seed, g.Width, g.Height));
        Assert.Equal([new LoraUse("detail_tweaker", 0.8)], g.Loras);
        Assert.Equal("1:1", g["aspectratio"]);
        Assert.Equal("2.10 (prep) and 9.80 (gen) seconds", g["sui_extra_data.generation_time"]);
        Assert.Equal("0x31e35c80fc", g["sui_models[0].hash"]);
    }

    [Fact]
    public void Read_InvokeAiGraphOnly_UsesItsMetadataNode()
    {
        const string graph = """
            {"id":"g","nodes":{"core_metadata":{"id":"core_metadata","type":"core_metadata","positive_prompt":"a cabin","negative_prompt":"","steps":25,
            "scheduler":"dpmpp_2m_k","cfg_scale":7.5,"seed":77,"width":768,"height":512,"model":{"name":"dreamshaper_8","hash":"blake3:abc"},
            "loras":[{"model":{"name":"wood"},"weight":0.6}]},"noise":{"id":"noise","type":"noise","seed":77}},"edges":[]}
            """;

        var g = ImageMetadataReader.Read(WithText("invokeai_graph", graph)).Generation;

        Assert.NotNull(g);
        Assert.Equal((MetadataTool.InvokeAI, "InvokeAI 3+ (invokeai_graph)"), (g.Tool, g.ToolLabel));
        Assert.Equal(("a cabin", 25, "dpmpp_2m", "karras", 7.5, 77UL, 768, 512), (g.Prompt, g.Steps, g.Sampler, g.Scheduler, g.Cfg, g.Seed, g.Width, g.Height));
        Assert.Equal(("dreamshaper_8", "blake3:abc"), (g.Model, g.ModelHash));
        Assert.Equal([new LoraUse("wood", 0.6)], g.Loras);
    }

    [Fact]
    public void Read_InvokeAi2SdMetadata_SplitsTheBracketedNegative()
    {
        const string legacy = """
            {"model":"stable diffusion","model_weights":"stable-diffusion-1.5","model_hash":"cc6cb27103417325ff94f52b7a5d2dde45a7515b25c255d8e396c90014281516",
            "app_id":"invoke-ai/InvokeAI","app_version":"2.2.5","image":{"prompt":[{"prompt":"a tabby cat [blurry, lowres]","weight":1.0}],"steps":50,
            "cfg_scale":7.5,"threshold":0,"perlin":0,"height":512,"width":512,"seed":3357757885,"seamless":false,"hires_fix":false,"type":"txt2img",
            "postprocessing":null,"sampler":"k_euler_a","variations":[]}}
            """;

        var g = ImageMetadataReader.Read(WithText("sd-metadata", legacy)).Generation;

        Assert.NotNull(g);
        Assert.Equal((MetadataTool.InvokeAI, "InvokeAI 2.2.5 (sd-metadata)"), (g.Tool, g.ToolLabel));
        Assert.Equal(("a tabby cat", "blurry, lowres"), (g.Prompt, g.NegativePrompt));
        Assert.Equal((50, "euler_ancestral", 7.5, 3357757885UL, 512, 512), (g.Steps, g.Sampler, g.Cfg, g.Seed, g.Width, g.Height));
        Assert.Equal("stable-diffusion-1.5", g.Model);
        Assert.Equal("txt2img", g["image.type"]);
    }

    [Fact]
    public void Read_InvokeAi1Dream_ParsesTheCommandLine()
    {
        var g = ImageMetadataReader.Read(WithText("Dream", "\"a watercolor fox [text]\" -s 40 -S 1234567 -W 640 -H 448 -C 8.5 -A k_lms")).Generation;

        Assert.NotNull(g);
        Assert.Equal(("a watercolor fox", "text", 40, "lms", 8.5, 1234567UL, 640, 448), (g.Prompt, g.NegativePrompt, g.Steps, g.Sampler, g.Cfg, g.Seed, g.Width, g.Height));
    }

    [Fact]
    public void Read_CompressedItxtParameters_AreRead()
    {
        var itxt = Chunk("iTXt", [.. "parameters"u8, 0, 1, 0, 0, 0, .. Zlib(Encoding.UTF8.GetBytes("ein Fuchs ☃\nSteps: 9, Sampler: Euler a, CFG scale: 4, Seed: 5, Size: 64x64"))]);
        var png = Insert(File.ReadAllBytes(Metadata("bad_no_metadata.png")), itxt);

        var result = ImageMetadataReader.Read(png);

        Assert.Equal("PNG iTXt", result.Texts.Single(t => t.Key == "parameters").Where);
        Assert.Equal(("ein Fuchs ☃", "euler_ancestral", 9), (result.Generation?.Prompt, result.Generation?.Sampler, result.Generation?.Steps));
    }

    [Fact]
    public void Read_WebPWithExifUserComment_IsRead()
    {
        var comment = (byte[])[.. "UNICODE\0"u8, .. Encoding.BigEndianUnicode.GetBytes(DuckInfotext)];
        // Little-endian TIFF: IFD0 with one entry (Exif IFD pointer), then the Exif IFD with the UserComment.
        var tiff = new List<byte>();
        tiff.AddRange("II*\0"u8.ToArray());
        tiff.AddRange(BitConverter.GetBytes(8u));
        tiff.AddRange(BitConverter.GetBytes((ushort)1));
        tiff.AddRange([.. BitConverter.GetBytes((ushort)0x8769), .. BitConverter.GetBytes((ushort)4), .. BitConverter.GetBytes(1u), .. BitConverter.GetBytes(26u)]);
        tiff.AddRange(BitConverter.GetBytes(0u));
        tiff.AddRange(BitConverter.GetBytes((ushort)1));
        tiff.AddRange([.. BitConverter.GetBytes((ushort)0x9286), .. BitConverter.GetBytes((ushort)7), .. BitConverter.GetBytes((uint)comment.Length), .. BitConverter.GetBytes(44u)]);
        tiff.AddRange(BitConverter.GetBytes(0u));
        tiff.AddRange(comment);
        var exif = (byte[])[.. "EXIF"u8, .. BitConverter.GetBytes((uint)tiff.Count), .. tiff, .. (tiff.Count % 2 == 1 ? [0] : Array.Empty<byte>())];
        var webp = (byte[])[.. "RIFF"u8, .. BitConverter.GetBytes((uint)(4 + exif.Length)), .. "WEBP"u8, .. exif];

        var result = ImageMetadataReader.Read(webp);

        Assert.Equal(ImageFileFormat.WebP, result.Format);
        Assert.Equal(("photo of a duck", 235284042UL), (result.Generation?.Prompt, result.Generation?.Seed));
    }

    [Fact]
    public void Read_TextChunkOverTheLimit_IsSkippedWithAReason()
    {
        var png = WithText("parameters", DuckInfotext + new string(' ', 2000));

        var result = ImageMetadataReader.Read(png, maxTextBytes: 1000);

        Assert.Null(result.Generation);
        Assert.Contains(result.Problems, p => p.Contains("'parameters'", StringComparison.Ordinal) && p.Contains("limit", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_DecompressionBomb_IsSkippedAndTheRestIsRead()
    {
        var bomb = Chunk("zTXt", [.. "workflow"u8, 0, 0, .. Zlib(new byte[64 * 1024 * 1024])]);
        var png = Insert(File.ReadAllBytes(Metadata("a1111.png")), bomb);

        var result = ImageMetadataReader.Read(png, maxTextBytes: 1024 * 1024);

        Assert.Equal("photo of a duck", result.Generation?.Prompt);
        Assert.Equal(["The text chunk 'workflow' decompresses to more than 1 MiB. It was skipped."], result.Problems);
    }

    [Fact]
    public void Read_MalformedComfyJson_GivesNoGenerationDataAndSaysWhy()
    {
        var result = ImageMetadataReader.Read(WithText("prompt", "{\"3\": {\"inputs\": {\"seed\": 1,"));

        Assert.Null(result.Generation);
        Assert.Single(result.Problems, p => p.StartsWith("The ComfyUI 'prompt' text is not an API-format graph", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_DeeplyNestedJson_IsRefused()
    {
        var deep = new string('[', 10_000) + new string(']', 10_000);
        var result = ImageMetadataReader.Read(WithText("invokeai_metadata", deep));

        Assert.Null(result.Generation);
        Assert.Single(result.Problems, p => p.StartsWith("The 'invokeai_metadata' text is not valid JSON", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_CyclicComfyGraph_Terminates()
    {
        const string cyclic = """{"1":{"class_type":"KSampler","inputs":{"seed":1,"steps":2,"positive":["2",0],"negative":["2",0],"latent_image":["1",0],"model":["3",0]}},"2":{"class_type":"ConditioningCombine","inputs":{"conditioning_1":["2",0]}},"3":{"class_type":"LoraLoader","inputs":{"lora_name":"x","model":["3",0]}}}""";

        var g = ImageMetadataReader.Read(WithText("prompt", cyclic)).Generation;

        Assert.Equal((1UL, 2, null, null), (g?.Seed, g?.Steps, g?.Prompt, g?.Model));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(250)]
    public void Read_TruncatedPng_KeepsTheTextBeforeTheCut(int keep)
    {
        var png = File.ReadAllBytes(Metadata("a1111.png"))[..keep];

        var result = ImageMetadataReader.Read(png);

        Assert.Single(result.Problems, p => p.StartsWith("The PNG is cut off", StringComparison.Ordinal));
        Assert.Equal(keep > 230 ? "photo of a duck" : null, result.Generation?.Prompt);
    }

    [Fact]
    public void Read_TruncatedJpeg_GivesAClearResult()
    {
        var jpeg = File.ReadAllBytes(Metadata("a1111.jpg"))[..200];

        var result = ImageMetadataReader.Read(jpeg);

        Assert.Null(result.Generation);
        Assert.Equal(["The JPEG is cut off inside a metadata segment; the text before the cut was read."], result.Problems);
    }

    private static byte[] WithText(string keyword, string text) =>
        PngTextChunks.AddText(File.ReadAllBytes(Metadata("bad_no_metadata.png")), [(keyword, text)]);
}
