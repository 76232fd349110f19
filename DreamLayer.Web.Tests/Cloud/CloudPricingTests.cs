using DreamLayer.Web.Cloud;
using DreamLayer.Web.Cloud.Pricing;

namespace DreamLayer.Web.Tests.Cloud;

/// <summary>What a cloud request costs before it is sent, in exact decimal dollars, and the usage export's CSV.</summary>
public sealed class CloudPricingTests
{
    private static CloudEstimate Estimate(string model, string? size = null, int count = 1, params (string Name, string Value)[] options) =>
        CloudPricing.Estimate(CloudPriceList.Prices, new CloudImageRequest(model, "a lighthouse")
        {
            Size = size,
            Count = count,
            Options = options.ToDictionary(o => o.Name, o => o.Value),
        })!;

    [Fact]
    public void GptImage_HighQualityWide_IsItsListPriceTimesThePictures()
    {
        var estimate = Estimate("gpt-image-1", "1536x1024", 3, ("quality", "high"));

        Assert.Equal(0.25m, estimate.UsdPerImage);
        Assert.Equal(0.75m, estimate.Usd);
        Assert.Equal("high, 1536x1024", estimate.Variant);
    }

    [Fact]
    public void Cents_AddUpExactly_NotAsBinaryFractions()
    {
        // 0.011 × 3 as a double is 0.032999999999999995.
        Assert.Equal(0.033m, Estimate("gpt-image-1", "1024x1024", 3, ("quality", "low")).Usd);
        Assert.Equal(0.12m, Estimate("V_3", count: 4, options: ("rendering_speed", "TURBO")).Usd);
    }

    [Theory]
    [InlineData("auto", "1024x1024", 0.167)] // the provider may choose high
    [InlineData(null, "1024x1024", 0.167)]
    [InlineData("low", "auto", 0.016)] // and a wide size
    [InlineData("auto", null, 0.25)]
    public void GptImage_AChoiceLeftToTheProvider_CountsTheHighestItMayChoose(string? quality, string? size, double expected)
    {
        var estimate = quality is null ? Estimate("gpt-image-1", size) : Estimate("gpt-image-1", size, 1, ("quality", quality));

        Assert.Equal((decimal)expected, estimate.UsdPerImage);
        Assert.Contains("the highest the provider may choose", estimate.Variant, StringComparison.Ordinal);
    }

    [Fact]
    public void Ideogram_IsPricedByRenderingSpeed_WhateverTheSize()
    {
        Assert.Equal(0.09m, Estimate("V_3", "1024x1024", 1, ("rendering_speed", "QUALITY")).UsdPerImage);
        Assert.Equal(0.06m, Estimate("V_3", options: ("rendering_speed", "DEFAULT")).UsdPerImage);
    }

    [Fact]
    public void Flux_HasOnePricePerPicture()
    {
        Assert.Equal(0.04m, Estimate("flux-pro-1.1", "1024x768").Usd);
        Assert.Equal(0.06m, Estimate("flux-pro-1.1-ultra").Usd);
        Assert.Equal("every picture", Estimate("flux-pro-1.1").Variant);
    }

    [Fact]
    public void AModelWithoutAPrice_HasNoEstimate()
    {
        Assert.Null(CloudPricing.Estimate(CloudPriceList.Prices, new CloudImageRequest("flux-dev", "x")));
    }

    [Fact]
    public void EveryModelOfTheCatalogues_HasAListPrice_ForEveryTierItOffers()
    {
        var models = CloudCatalog.All;
        foreach (var model in models)
        {
            Assert.NotNull(CloudPricing.Estimate(CloudPriceList.Prices, new CloudImageRequest(model.Id, "x")));
            if (CloudPriceList.TierOption.TryGetValue(model.Id, out var option))
            {
                foreach (var tier in model.Option(option)!.Values.Where(v => v != "auto"))
                {
                    Assert.Contains(CloudPriceList.Prices, p => p.Model == model.Id && p.Tier == tier);
                }
            }
        }
    }

    [Theory]
    [InlineData("5", "$5.00")]
    [InlineData("0.042", "$0.042")]
    [InlineData("1234.5", "$1,234.50")]
    [InlineData("0.0425", "$0.0425")]
    public void Amounts_ReadAsDollarsAndCents(string amount, string expected) =>
        Assert.Equal(expected, CloudPricing.Format(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void UsageCsv_IsRfc4180_AndNeverAFormula()
    {
        var month = new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);
        var csv = CloudUsage.ToCsv(
        [
            new CloudUsageRow(month, "a", "Smith, Ann", "FLUX 1.1 [pro]", 2, 2, 0.08m),
            new CloudUsageRow(month, "b", "=HYPERLINK(\"http://x\")", "gpt-image-1", 1, 3, 0.75m),
        ]);

        Assert.Equal(
            "month,person,model,jobs,images,cost_usd\r\n" +
            "2026-12,\"Smith, Ann\",FLUX 1.1 [pro],2,2,0.08\r\n" +
            "2026-12,\"'=HYPERLINK(\"\"http://x\"\")\",gpt-image-1,1,3,0.75\r\n",
            csv);
    }
}
