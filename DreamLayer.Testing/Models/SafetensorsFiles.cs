using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace DreamLayer.Web.Tests.Models;

/// <summary>
/// Minimal safetensors files: the real header format (8-byte little-endian length, then JSON naming each tensor with its
/// dtype, shape and offsets, and an optional <c>__metadata__</c>) with the real tensor names of each architecture (a
/// sample of each, as the original files name them), every tensor one zero-filled F16 value; and files of a given size
/// (one tensor filling them) for installs and uploads. The one builder of safetensors files for every test project.
/// </summary>
public static class SafetensorsFiles
{
    /// <summary>An SD 1.5 checkpoint (v1-5-pruned-emaonly): UNet, CLIP ViT-L text encoder, VAE.</summary>
    public static readonly string[] Sd15Checkpoint =
    [
        "model.diffusion_model.input_blocks.0.0.weight",
        "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight",
        "model.diffusion_model.middle_block.1.proj_in.weight",
        "model.diffusion_model.out.2.weight",
        "cond_stage_model.transformer.text_model.encoder.layers.0.self_attn.q_proj.weight",
        "cond_stage_model.transformer.text_model.final_layer_norm.weight",
        "first_stage_model.decoder.conv_in.weight",
        "first_stage_model.encoder.conv_in.weight",
    ];

    /// <summary>An SDXL checkpoint (sd_xl_base_1.0): UNet with its label embedding, two text encoders, VAE.</summary>
    public static readonly string[] SdxlCheckpoint =
    [
        "model.diffusion_model.input_blocks.0.0.weight",
        "model.diffusion_model.label_emb.0.0.weight",
        "model.diffusion_model.input_blocks.4.1.transformer_blocks.1.attn2.to_k.weight",
        "model.diffusion_model.out.2.weight",
        "conditioner.embedders.0.transformer.text_model.encoder.layers.0.self_attn.q_proj.weight",
        "conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_weight",
        "conditioner.embedders.1.model.text_projection",
        "first_stage_model.decoder.conv_in.weight",
    ];

    /// <summary>A FLUX.1 diffusion model (flux1-dev, as in <c>models/diffusion_models</c>): double and single stream blocks.</summary>
    public static readonly string[] FluxDiffusionModel =
    [
        "img_in.weight",
        "txt_in.weight",
        "time_in.in_layer.weight",
        "vector_in.in_layer.weight",
        "guidance_in.in_layer.weight",
        "double_blocks.0.img_attn.qkv.weight",
        "double_blocks.0.txt_mlp.0.weight",
        "single_blocks.0.linear1.weight",
        "final_layer.linear.weight",
    ];

    /// <summary>An SD 1.5 LoRA trained with kohya's sd-scripts (diffusers-style UNet block names, one text encoder).</summary>
    public static readonly string[] Sd15Lora =
    [
        "lora_unet_down_blocks_0_attentions_0_proj_in.alpha",
        "lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight",
        "lora_unet_down_blocks_0_attentions_0_proj_in.lora_up.weight",
        "lora_unet_up_blocks_3_attentions_2_transformer_blocks_0_attn2_to_k.lora_down.weight",
        "lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight",
    ];

    /// <summary>An SDXL LoRA trained with kohya's sd-scripts (SGM block names, two text encoders).</summary>
    public static readonly string[] SdxlLora =
    [
        "lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_k.alpha",
        "lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_k.lora_down.weight",
        "lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_down.weight",
        "lora_te2_text_model_encoder_layers_0_mlp_fc1.lora_down.weight",
    ];

    /// <summary>The bytes of a safetensors file with these tensors and, if given, this <c>__metadata__</c>.</summary>
    public static byte[] Build(IEnumerable<string> tensorNames, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensorNames);
        var header = new JsonObject();
        if (metadata is not null)
        {
            var meta = new JsonObject();
            foreach (var (key, value) in metadata)
            {
                meta[key] = value;
            }
            header["__metadata__"] = meta;
        }
        var offset = 0;
        foreach (var name in tensorNames)
        {
            header[name] = new JsonObject { ["dtype"] = "F16", ["shape"] = new JsonArray(1), ["data_offsets"] = new JsonArray(offset, offset + 2) };
            offset += 2;
        }
        var prefix = Prefix(header);
        var bytes = new byte[prefix.Length + offset];
        prefix.CopyTo(bytes, 0);
        return bytes;
    }

    /// <summary>
    /// A file whose one U8 tensor is <paramref name="dataBytes"/> long, filled with a repeating pattern (so two such files
    /// differ by size only, and a checksum sees every byte).
    /// </summary>
    public static byte[] WithData(int dataBytes, string tensor = "model.diffusion_model.input_blocks.0.0.weight")
    {
        var prefix = Prefix(dataBytes, tensor);
        var bytes = new byte[prefix.Length + dataBytes];
        prefix.CopyTo(bytes, 0);
        for (var i = 0; i < dataBytes; i++)
        {
            bytes[prefix.Length + i] = (byte)(i * 31);
        }
        return bytes;
    }

    /// <summary>The 8-byte length and the header of a one-tensor file whose data is <paramref name="dataBytes"/> bytes (to stream a large file).</summary>
    public static byte[] Prefix(long dataBytes, string tensor = "model.diffusion_model.input_blocks.0.0.weight") => Prefix(new JsonObject
    {
        ["__metadata__"] = new JsonObject { ["format"] = "pt" },
        [tensor] = new JsonObject { ["dtype"] = "U8", ["shape"] = new JsonArray(dataBytes), ["data_offsets"] = new JsonArray(0, dataBytes) },
    });

    /// <summary>The 8-byte little-endian length, then the header's JSON.</summary>
    private static byte[] Prefix(JsonObject header)
    {
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var bytes = new byte[8 + json.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    /// <summary>Writes a model file under <c>root/folder/name</c> (subfolders created).</summary>
    public static string Write(string root, string folder, string name, IEnumerable<string> tensorNames, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var path = Path.Combine(root, folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, Build(tensorNames, metadata));
        return path;
    }
}
